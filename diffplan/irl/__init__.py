"""A reward learned from demonstrations (offline max-ent IRL and AIRL), to guide plans or relabel data."""

from diffplan.lazy_exports import lazy_exports

# public name → the module that defines it
PUBLIC = {
    "load_reward": "diffplan.irl.reward_checkpoint",
    "RewardConfig": "diffplan.irl.reward_config",
    "train_reward": "diffplan.irl.reward_training",
    "TrainedReward": "diffplan.irl.reward_checkpoint",
}

__all__ = sorted(PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, PUBLIC)
