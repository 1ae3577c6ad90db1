"""Configuration of the behaviour-prior offline RL runs (``diffplan train-rl``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from diffplan.data.data_config import DataConfig
from diffplan.errors import UserError
from diffplan.tracking import TrackingConfig
from diffplan.training.trainer_config import TrainerConfig


@dataclass
class BehaviourPriorConfig:
    """pi_beta(a | s), fit by behaviour cloning (maximum likelihood on dataset actions).

    Attributes:
        hidden_dims: MLP widths.
        components: 1 = tanh-Gaussian; K > 1 = mixture of K tanh-Gaussians (multimodal data).
        warmup_steps: the first steps of the run train only pi_beta (BRAC fits the behaviour policy before
            using it); the actor and critics start afterwards. Only used where pi_beta is used.
    """

    hidden_dims: list[int] = field(default_factory=lambda: [256, 256])
    components: int = 1
    warmup_steps: int = 5000


@dataclass
class CriticConfig:
    """An ensemble of Q networks (twin by default) with Polyak-averaged targets (and V for expectile/soft advantages).

    Attributes:
        ensemble: number of Q networks; the TD targets and the policy's objective use their minimum (clipped
            double Q-learning with 2, SAC-N's pessimism with more), and a planner ranking plans by the critic
            reads their mean less ``planner.critic_pessimism`` standard deviations.
        hidden_dims: MLP widths of each critic.
        layer_norm: LayerNorm after each hidden layer.
        discount: gamma of the TD targets.
        target_update_rate: Polyak rate of the target critics per step.
    """

    ensemble: int = 2
    hidden_dims: list[int] = field(default_factory=lambda: [256, 256])
    layer_norm: bool = False
    discount: float = 0.99
    target_update_rate: float = 0.005


@dataclass
class KLSACConfig:
    """KL-regularised offline SAC (BRAC): maximise E[Σ r] − alpha · KL(pi || pi_beta).

    Attributes:
        value_penalty: subtract alpha · KL(pi || pi_beta)(s') inside the TD target.
        policy_regularisation: add alpha · KL(pi || pi_beta)(s) to the actor loss.
        alpha: the temperature (initial value when tuned).
        tune_alpha: adjust alpha by a dual variable so that the KL estimate tends to ``target_kl``.
        target_kl: KL budget (nats) of the dual update.
        kl_samples: action samples per state behind each KL estimate.
        actor_hidden_dims: MLP widths of pi.
    """

    value_penalty: bool = True
    policy_regularisation: bool = True
    alpha: float = 0.1
    tune_alpha: bool = False
    target_kl: float = 1.0
    kl_samples: int = 4
    actor_hidden_dims: list[int] = field(default_factory=lambda: [256, 256])


@dataclass
class AWRConfig:
    """Advantage-weighted regression onto pi* ∝ pi_beta · exp(A / alpha).

    Attributes:
        advantage: ``q`` (AWAC: A = Q(s, a) − E_{a'~pi} Q(s, a'), Q by TD on the policy's actions) or
            ``value`` (IQL-style: A = Q(s, a) − V(s), V regressed in-sample, Q by TD on V(s')).
        value_loss: for ``value``: ``expectile`` (IQL) or ``soft`` (V = alpha log E_pi_beta exp(Q/alpha), the
            soft value with pi_beta as action prior).
        expectile: tau of the expectile regression.
        alpha: temperature of the weights exp(A / alpha) (AWAC lambda; IQL 1/beta).
        max_weight: weights are clipped at this value.
        critic_kl_penalty: AWAC only: subtract alpha · KL(pi || pi_beta)(s') in the TD target (needs pi_beta;
            with it the fixed point is the KL-regularised optimum, without it plain AWAC).
        value_samples: policy samples for E_pi Q (AWAC).
        actor_hidden_dims: MLP widths of pi.
    """

    advantage: Literal["q", "value"] = "q"
    value_loss: Literal["expectile", "soft"] = "expectile"
    expectile: float = 0.7
    alpha: float = 1.0
    max_weight: float = 100.0
    critic_kl_penalty: bool = False
    value_samples: int = 1
    actor_hidden_dims: list[int] = field(default_factory=lambda: [256, 256])


@dataclass
class PolicyEvaluationConfig:
    """Rollouts of the trained policy in the dataset's eval env.

    Attributes:
        episodes: episodes per evaluation (episode k resets with seed + k).
        seed: seed of the first episode.
        deterministic: act with the policy's mode (tanh of the mean) instead of sampling.
    """

    episodes: int = 10
    seed: int = 0
    deterministic: bool = True


@dataclass
class RLRunConfig:
    """A ``diffplan train-rl`` run: data, algorithm, trainer, tracking, evaluation and the run folder.

    ``torch_threads``: torch's intra-op threads (0 = torch's default). Small MLP batches run best on 1 thread
    when the cores are shared: oversubscribed intra-op threads slow a step down many times.
    """

    algorithm: Literal["kl_sac", "awr"] = "kl_sac"
    data: DataConfig = field(default_factory=lambda: DataConfig(horizon=1))
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(
        steps=50_000, batch_size=256, learning_rate=3e-4, grad_clip=0.0, ema_decay=0.0, checkpoint_every=10_000))
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    behaviour_prior: BehaviourPriorConfig = field(default_factory=BehaviourPriorConfig)
    critic: CriticConfig = field(default_factory=CriticConfig)
    kl_sac: KLSACConfig = field(default_factory=KLSACConfig)
    awr: AWRConfig = field(default_factory=AWRConfig)
    evaluation: PolicyEvaluationConfig = field(default_factory=PolicyEvaluationConfig)
    torch_threads: int = 0
    run_dir: str = "runs/rl"


def check_rl_config(config: RLRunConfig) -> None:
    """Raise UserError for settings out of their domain."""
    checks = [
        (config.critic.ensemble >= 2, f"critic.ensemble must be >= 2, got {config.critic.ensemble}"),
        (0.0 < config.critic.discount < 1.0, f"critic.discount must be in (0, 1), got {config.critic.discount}"),
        (0.0 < config.critic.target_update_rate <= 1.0,
         f"critic.target_update_rate must be in (0, 1], got {config.critic.target_update_rate}"),
        (config.kl_sac.alpha > 0, f"kl_sac.alpha must be positive, got {config.kl_sac.alpha}"),
        (config.kl_sac.kl_samples >= 1, f"kl_sac.kl_samples must be >= 1, got {config.kl_sac.kl_samples}"),
        (config.awr.alpha > 0, f"awr.alpha must be positive, got {config.awr.alpha}"),
        (config.awr.max_weight > 1.0, f"awr.max_weight must exceed 1, got {config.awr.max_weight}"),
        (0.0 < config.awr.expectile < 1.0, f"awr.expectile must be in (0, 1), got {config.awr.expectile}"),
        (config.awr.value_samples >= 1, f"awr.value_samples must be >= 1, got {config.awr.value_samples}"),
        (config.behaviour_prior.components >= 1,
         f"behaviour_prior.components must be >= 1, got {config.behaviour_prior.components}"),
        (0 <= config.behaviour_prior.warmup_steps < config.trainer.steps,
         f"behaviour_prior.warmup_steps must be in [0, trainer.steps), got {config.behaviour_prior.warmup_steps}"),
        (config.evaluation.episodes >= 0, f"evaluation.episodes must be >= 0, got {config.evaluation.episodes}"),
    ]
    for ok, message in checks:
        if not ok:
            raise UserError(f"{message}; fix it in the config or with an override")
