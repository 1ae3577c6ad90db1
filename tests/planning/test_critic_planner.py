"""Plans ranked by an offline critic: Q(s_0, a_0) of a ``train-rl`` run as the planner's likelihood, on a real
Reacher-v5 dataset, and the checks that refuse a critic that cannot read the prior's plans."""

from __future__ import annotations

import minari
import pytest
import torch

from diffplan.cli import main
from diffplan.data.normalizer import AffineNormalizer
from diffplan.errors import UserError
from diffplan.inference.critic_likelihood import CriticLikelihood
from diffplan.inference.posterior_config import PosteriorConfig
from diffplan.planning.diffusion_planner import DiffusionPlanner
from diffplan.planning.planner_config import PlannerConfig
from diffplan.rl.action_bounds import ActionBounds
from diffplan.rl.critic_checkpoint import load_critic
from diffplan.rl.critics import TwinQ
from diffplan.training.trained_state import read_trained

TINY_PRIOR = ["data.device=cpu", "model.dim=8", "model.dim_mults=[1,2]", "trainer.steps=4",
              "trainer.checkpoint_every=4", "trainer.batch_size=8", "tracking.mode=disabled"]
TINY_RL = ["algorithm=kl_sac", "trainer.steps=40", "trainer.batch_size=32", "trainer.checkpoint_every=40",
           "behaviour_prior.warmup_steps=10", "behaviour_prior.hidden_dims=[16]", "critic.hidden_dims=[16]",
           "kl_sac.actor_hidden_dims=[16]", "evaluation.episodes=1", "tracking.mode=disabled", "data.device=cpu"]


@pytest.fixture(scope="module")
def reacher_runs(tmp_path_factory):
    """A tiny Reacher medium prior and a tiny KL-SAC run on the same dataset, and their Minari root."""
    root = tmp_path_factory.mktemp("reacher-critic")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MINARI_DATASETS_PATH", str(root / "minari"))
        assert main(["--quiet", "collect", "reacher-medium", "--steps", "1000", "--eval-episodes", "2"]) == 0
        assert main(["--quiet", "train-prior", "prior-reacher-medium", *TINY_PRIOR, "--run-dir",
                     str(root / "prior")]) == 0
        assert main(["--quiet", "train-rl", "rl-reacher-medium", *TINY_RL, "--run-dir", str(root / "kl_sac"),
                     "--no-progress"]) == 0
    return root


def test_critic_likelihood_is_q_of_the_first_row_in_the_critics_units():
    torch.manual_seed(0)
    critic = TwinQ(3, 2, [16]).requires_grad_(False)
    rows = AffineNormalizer("gaussian", torch.tensor([0.5, -1.0, 1.0, 2.0, 3.0]),
                            torch.tensor([2.0, 0.5, 3.0, 1.0, 4.0]))
    states = AffineNormalizer("gaussian", torch.tensor([-1.0, 0.0, 1.0]), torch.tensor([0.5, 2.0, 1.5]))
    bounds = ActionBounds(torch.tensor([-2.0, 0.0]), torch.tensor([2.0, 4.0]))
    likelihood = CriticLikelihood(critic, rows, 2, states, bounds, alpha=0.5)
    x = torch.randn(6, 4, 5, requires_grad=True)
    first = rows.unnormalize(x[:, 0].detach())
    unit = torch.stack([first[:, 0] / 2.0, (first[:, 1] - 2.0) / 2.0], -1).clamp(-1, 1)
    q = torch.minimum(*critic(states.normalize(first[:, 2:]), unit))
    value = likelihood.log_likelihood(x, torch.zeros(6, dtype=torch.long))
    torch.testing.assert_close(value, q / 0.5)
    value.sum().backward()
    assert x.grad[:, 1:].abs().max() == 0 and x.grad[:, 0, 2:].abs().max() > 0  # only the first row counts
    with pytest.raises(UserError, match="alpha"):
        CriticLikelihood(critic, rows, 2, states, bounds, alpha=0.0)


def test_critic_pessimism_is_a_lower_confidence_bound_of_the_critics():
    """κ = 1 is the twin minimum, κ = 0 the mean; a larger κ costs most where the critics disagree most."""
    torch.manual_seed(1)
    rows = AffineNormalizer("gaussian", torch.zeros(5), torch.ones(5))
    states = AffineNormalizer("gaussian", torch.zeros(3), torch.ones(3))
    bounds = ActionBounds(-torch.ones(2), torch.ones(2))
    x = torch.randn(64, 4, 5).clamp(-1, 1)
    twin = TwinQ(3, 2, [16]).requires_grad_(False)
    q = twin(x[:, 0, 2:], x[:, 0, :2])
    values = {kappa: CriticLikelihood(twin, rows, 2, states, bounds, pessimism=kappa).values(x)
              for kappa in (0.0, 1.0, 3.0)}
    torch.testing.assert_close(values[1.0], q.amin(0))
    torch.testing.assert_close(values[0.0], q.mean(0))
    spread = (q[0] - q[1]).abs()
    torch.testing.assert_close(values[1.0] - values[3.0], spread)  # two more half-spreads below the minimum
    ensemble = TwinQ(3, 2, [16], ensemble=5).requires_grad_(False)
    q = ensemble(x[:, 0, 2:], x[:, 0, :2])
    torch.testing.assert_close(CriticLikelihood(ensemble, rows, 2, states, bounds, pessimism=2.0).values(x),
                               q.mean(0) - 2.0 * q.std(0, correction=0))
    for bad in (-0.5, float("nan"), float("inf")):
        with pytest.raises(UserError, match="pessimism"):
            CriticLikelihood(twin, rows, 2, states, bounds, pessimism=bad)


def test_planner_keeps_the_plan_of_highest_critic_value(reacher_runs, monkeypatch):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(reacher_runs / "minari"))
    config = PlannerConfig(reward="critic", critic=str(reacher_runs / "kl_sac"), action="first_action",
                           posterior=PosteriorConfig(method="best_of_n", particles=8, num_steps=4,
                                                     select="most_likely"))
    planner = DiffusionPlanner.from_pretrained(reacher_runs / "prior", config)
    dataset = minari.load_dataset("local/mujoco/reacher/medium-v0")
    starts = torch.as_tensor(next(iter(dataset)).observations[:3], dtype=torch.float32)
    samples = planner.sample_plans(starts)
    # Q by hand from the checkpoint's weights, on the candidates' first rows in environment units
    state = read_trained(reacher_runs / "kl_sac")
    critic = state.load_part(TwinQ(10, 2, [16]), "critic.")
    state_normalizer = AffineNormalizer.from_state_dict(state.metadata["state_normalizer"])
    first = samples.candidates[:, :, 0]  # (B, N, A + S)
    with torch.no_grad():
        q = critic.minimum(state_normalizer.normalize(first[..., 2:]), first[..., :2].clamp(-1, 1))
    torch.testing.assert_close(samples.candidate_log_likelihood, q, rtol=1e-4, atol=1e-4)
    best = q.argmax(1)
    torch.testing.assert_close(samples.plans, samples.candidates[torch.arange(3), best])
    torch.testing.assert_close(samples.plans[:, 0, 2:], starts)  # the current state is inpainted


def test_elite_mode_moves_the_first_action_up_the_critic(reacher_runs, monkeypatch):
    """select=elite_mode with the critic: the elites' mean with its first action moved to a higher Q (the rows the
    critic does not read, and the inpainted state, stay the elite mean's)."""
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(reacher_runs / "minari"))
    posterior = PosteriorConfig(method="best_of_n", particles=8, num_steps=4, select="elite_mode", elite_fraction=0.5)
    config = PlannerConfig(reward="critic", critic=str(reacher_runs / "kl_sac"), action="first_action", alpha=0.003,
                           posterior=posterior)
    planner = DiffusionPlanner.from_pretrained(reacher_runs / "prior", config)
    dataset = minari.load_dataset("local/mujoco/reacher/medium-v0")
    starts = torch.as_tensor(next(iter(dataset)).observations[:3], dtype=torch.float32)
    samples = planner.sample_plans(starts, generators=[torch.Generator().manual_seed(k) for k in range(3)])
    elites = samples.candidate_log_likelihood.topk(4, dim=1).indices
    mean = samples.candidates[torch.arange(3)[:, None], elites].mean(dim=1)  # (B, H, A + S)
    torch.testing.assert_close(samples.plans[:, 1:], mean[:, 1:])
    torch.testing.assert_close(samples.plans[:, 0, 2:], starts)
    likelihood = planner.likelihood(None)
    normalise = planner.prior.normalizer.normalize
    t = torch.zeros(3, dtype=torch.long)
    with torch.no_grad():
        q_mode = likelihood.log_likelihood(normalise(samples.plans), t)
        q_mean = likelihood.log_likelihood(normalise(mean), t)
    assert (q_mode >= q_mean - 1e-3).all() and (q_mode > q_mean + 1e-3).any()
    assert (samples.plans[:, 0, :2] - mean[:, 0, :2]).abs().max() > 0


def test_a_critic_ensemble_is_read_back_and_ranks_plans_by_its_lower_bound(reacher_runs, tmp_path, monkeypatch):
    """critic.ensemble=4: KL-SAC trains four critics, load_critic rebuilds them, and the planner's likelihood is
    their mean less critic_pessimism standard deviations."""
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(reacher_runs / "minari"))
    assert main(["--quiet", "train-rl", "rl-reacher-medium", *TINY_RL, "critic.ensemble=4", "--run-dir",
                 str(tmp_path / "rl"), "--no-progress"]) == 0
    critic = load_critic(tmp_path / "rl")
    assert len(critic.critic.critics) == 4
    config = PlannerConfig(reward="critic", critic=str(tmp_path / "rl"), action="first_action", critic_pessimism=0.5)
    planner = DiffusionPlanner.from_pretrained(reacher_runs / "prior", config)
    plans = planner.prior.normalizer.normalize(torch.randn(5, planner.prior.horizon, 12))
    first = planner.prior.normalizer.unnormalize(plans[:, 0])
    unit = critic.bounds.to_unit(first[:, :2]).clamp(-1, 1)
    q = critic.critic(critic.state_normalizer.normalize(first[:, 2:]), unit)
    torch.testing.assert_close(planner.likelihood(None).values(plans), q.mean(0) - 0.5 * q.std(0, correction=0))


def test_a_critic_of_another_task_is_refused_in_one_line(reacher_runs, tmp_path, monkeypatch, capsys):
    assert main(["--quiet", "collect", "pendulum-medium", "--steps", "1000", "--eval-episodes", "2"]) == 0
    assert main(["--quiet", "train-rl", "rl-pendulum-medium", *TINY_RL, "--run-dir", str(tmp_path / "rl"),
                 "--no-progress"]) == 0
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(reacher_runs / "minari"))
    capsys.readouterr()
    assert main(["--quiet", "evaluate", str(reacher_runs / "prior"), "episodes=1", "tracking.mode=disabled",
                 "planner.reward=critic", f"planner.critic={tmp_path / 'rl'}", "planner.action=first_action"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "do not match the prior's" in err[0]


@pytest.mark.parametrize("pessimism", ["-1", "nan"])
def test_a_bad_critic_pessimism_is_refused_in_one_line(reacher_runs, monkeypatch, capsys, pessimism):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(reacher_runs / "minari"))
    capsys.readouterr()
    assert main(["--quiet", "evaluate", str(reacher_runs / "prior"), "episodes=1", "tracking.mode=disabled",
                 "planner.reward=critic", f"planner.critic={reacher_runs / 'kl_sac'}", "planner.action=first_action",
                 f"planner.critic_pessimism={pessimism}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "critic_pessimism" in err[0]
