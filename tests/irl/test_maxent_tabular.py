"""Offline max-ent IRL on a gridworld against the exact module: the neural estimator, trained by the shared
trainer on dataset windows of a behaviour policy and expert demonstrations, recovers a reward whose exact
posterior visitation (behaviour policy as action prior) matches the expert's. The exact tabular max-ent IRL
(TV < 1e-3) is tested in tests/exact/test_exact_maxent_irl.py."""

from __future__ import annotations

import torch
from helpers.tabular_problem import TabularIRLProblem, total_variation

from diffplan.irl.irl_batch import buffer_windows, irl_batches
from diffplan.irl.maxent_learner import MaxEntIRLLearner
from diffplan.irl.reward_network import RewardNetwork, RewardNetworkConfig
from diffplan.training.trainer import Trainer, make_accelerator
from diffplan.training.trainer_config import TrainerConfig


def test_neural_offline_maxent_irl_matches_the_expert_state_visitation(tmp_path):
    problem = TabularIRLProblem.make()
    S, A = problem.mdp.num_states, problem.mdp.num_actions
    expert = problem.expert_state_counts()
    untrained_tv = total_variation(problem.learned_state_counts(torch.zeros(S)), expert)
    data = problem.buffer(*problem.sample("behaviour", 10_000, seed=2))
    demos = problem.buffer(*problem.sample("expert", 2_000, seed=1))
    # a linear reward of the one-hot state: a table r(s)
    reward = RewardNetwork(RewardNetworkConfig("state", [], state_dim=S, action_dim=A))
    learner = MaxEntIRLLearner(reward, l2=1e-3, data_metadata={})
    sample = irl_batches(buffer_windows(demos, data.normalizer), buffer_windows(data, data.normalizer), 256)
    config = TrainerConfig(steps=300, batch_size=2048, learning_rate=1e-2, lr_schedule="cosine", grad_clip=0,
                           ema_decay=0.95, ema_every=1, ema_start=0, log_every=100, checkpoint_every=10_000)
    trainer = Trainer(learner, sample, config, tmp_path, make_accelerator(config, "cpu"), progress=False)
    trainer.fit()
    table = trainer.sampling_model.reward.step_reward(data.state_normalizer.normalize(torch.eye(S)), None)
    tv = total_variation(problem.learned_state_counts(table.detach()), expert)
    assert untrained_tv > 0.1  # the behaviour data alone is far from the expert
    assert tv < 0.05, (tv, untrained_tv)
