"""Backward/forward messages, policy and marginals against brute-force enumeration of every trajectory."""

import pytest
import torch
from einops import rearrange

from diffplan.exact import (
    TabularMDP,
    backward_messages,
    enumerate_posterior,
    forward_messages,
    gridworld_from_ascii,
    log_partition,
    posterior_marginals,
    random_mdp,
)

TOL = 1e-9


def _tiny_mdps():
    yield random_mdp(3, 2, horizon=3, seed=0)
    yield random_mdp(3, 3, horizon=3, seed=1, random_action_prior=True, concentration=0.3, reward_scale=3.0)
    yield random_mdp(2, 2, horizon=5, seed=2, alpha=0.3)
    # sparse dynamics with exact zeros, forbidden actions, non-uniform start
    sparse = random_mdp(3, 2, horizon=4, seed=3, random_action_prior=True)
    dense = sparse.dense_transitions().clone()
    dense[0, 0, 0] = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
    prior = sparse.action_prior.clone()
    prior[0, 1] = torch.tensor([1.0, 0.0], dtype=torch.float64)
    yield TabularMDP.from_dense(sparse.initial, dense, sparse.reward, prior, alpha=0.7, horizon=4)
    # gridworld: shared successor lists and state-independent slip (the matmul path)
    yield gridworld_from_ascii(["S.", ".G"], slip=0.2, horizon=3, step_reward=-0.5, alpha=0.8)


MDPS = list(_tiny_mdps())


def _posterior_log_prob(mdp, messages, states, actions):
    """log p(tau | O) from messages: p(s_0|O) prod pi_t(a|s) prod p(s'|s,a,O), p(s'|s,a,O) = P beta' / E[beta']."""
    dense = mdp.dense_transitions()[0]
    marginals = posterior_marginals(mdp, messages)
    log_p = torch.log(marginals.state[0, 0, states[:, 0]])
    for t in range(actions.shape[1]):
        s, a, s_next = states[:, t], actions[:, t], states[:, t + 1]
        log_p = log_p + messages.log_policy[0, t, s, a]
        log_continuation = messages.log_beta_sa[0, t, s, a] - mdp.reward[0, s, a] / mdp.alpha
        log_p = log_p + torch.log(dense[s, a, s_next]) + messages.log_beta_s[0, t + 1, s_next] - log_continuation
    return log_p


@pytest.mark.parametrize("mdp", MDPS, ids=range(len(MDPS)))
def test_trajectory_posterior_matches_enumeration(mdp):
    brute = enumerate_posterior(mdp)
    messages = backward_messages(mdp)
    possible = torch.isfinite(brute.log_posterior)
    ours = _posterior_log_prob(mdp, messages, brute.states, brute.actions)
    assert torch.allclose(ours[possible].exp(), brute.log_posterior[possible].exp(), atol=TOL, rtol=0)
    assert torch.allclose(ours[possible], brute.log_posterior[possible], atol=TOL, rtol=0)
    assert torch.allclose(log_partition(mdp, messages), brute.log_partition[None], atol=TOL, rtol=0)


@pytest.mark.parametrize("mdp", MDPS, ids=range(len(MDPS)))
def test_marginals_and_policy_match_enumeration(mdp):
    S, A = mdp.num_states, mdp.num_actions
    brute = enumerate_posterior(mdp)
    marginals = posterior_marginals(mdp)
    state = brute.state_marginals(S)
    state_action = brute.state_action_marginals(S, A)
    assert torch.allclose(marginals.state[0], state, atol=TOL, rtol=0)
    assert torch.allclose(marginals.state_action[0], state_action, atol=TOL, rtol=0)
    # pi_t(a | s) = p(a_t | s_t, O) wherever s_t has posterior mass
    policy = backward_messages(mdp).policy[0]
    visited = state[:-1] > 1e-6
    conditional = state_action / rearrange(state[:-1], "t s -> t s 1").clamp_min(1e-300)
    assert torch.allclose(policy[visited], conditional[visited], atol=TOL, rtol=0)
    assert torch.allclose(policy.sum(-1), torch.ones_like(policy.sum(-1)), atol=1e-12)


def test_forward_messages_are_joint_probabilities_of_state_and_past_optimality():
    mdp = MDPS[1]
    brute = enumerate_posterior(mdp)
    log_alpha = forward_messages(mdp)[0]
    # alpha_t(s) Z-normalised with beta_t = 1 at t = T: p(s_T | O) = alpha_T / Z
    assert torch.allclose(torch.exp(log_alpha[-1] - brute.log_partition), brute.state_marginals(3)[-1], atol=TOL)
    assert torch.allclose(log_alpha[0].exp(), mdp.initial[0], atol=1e-15)


def test_log_partition_is_the_same_at_every_time_and_batching_changes_nothing():
    mdp = random_mdp(5, 3, batch_size=3, horizon=6, seed=7, random_action_prior=True)
    messages = backward_messages(mdp)
    log_alpha = forward_messages(mdp)
    per_time = torch.logsumexp(log_alpha + messages.log_beta_s, dim=-1)  # (B, T + 1)
    assert torch.allclose(per_time, per_time[:, :1].expand_as(per_time), atol=1e-12)
    for b in range(3):
        single = TabularMDP(
            initial=mdp.initial[b],
            next_state=mdp.next_state[b],
            next_prob=mdp.next_prob[b],
            reward=mdp.reward[b],
            action_prior=mdp.action_prior[b],
            horizon=6,
        )
        assert torch.allclose(backward_messages(single).q[0], messages.q[b], atol=1e-12)


def test_action_prior_folded_into_the_reward_gives_the_same_posterior():
    mdp = random_mdp(4, 3, horizon=5, seed=11, random_action_prior=True, alpha=0.5)
    folded = mdp.replace(
        reward=mdp.reward + mdp.alpha * torch.log(mdp.action_prior),
        action_prior=torch.full_like(mdp.action_prior, 1.0 / 3),
    )
    a, b = posterior_marginals(mdp), posterior_marginals(folded)
    assert torch.allclose(a.state_action, b.state_action, atol=1e-12)
    assert torch.allclose(backward_messages(mdp).log_policy, backward_messages(folded).log_policy, atol=1e-12)


@pytest.mark.parametrize("alpha", [1e-3, 1e-8, 1e-12])
def test_small_alpha_is_finite_and_normalised(alpha):
    mdp = gridworld_from_ascii(["S...", ".##.", "...G"], slip=0.1, horizon=12, step_reward=-1.0, alpha=alpha)
    messages = backward_messages(mdp)
    marginals = posterior_marginals(mdp, messages)
    for tensor in (messages.q, messages.v, messages.log_policy, marginals.state, marginals.state_action):
        assert not torch.isnan(tensor).any()
    assert torch.isfinite(messages.q).all() and torch.isfinite(messages.v).all()
    assert torch.allclose(marginals.state.sum(-1), torch.ones(1, 13, dtype=torch.float64), atol=1e-9)
    assert torch.isfinite(forward_messages(mdp)[0, :, 0]).all()  # start cell reachable at every t


def test_fast_path_matches_careful_logsumexp_on_wide_value_ranges():
    # rewards spanning ~1e4 / alpha force the underflow fallback in the exact backup and forward pass
    mdp = random_mdp(4, 3, horizon=4, seed=5, reward_scale=300.0, alpha=0.05, concentration=0.2)
    brute = enumerate_posterior(mdp)
    marginals = posterior_marginals(mdp)
    assert torch.allclose(marginals.state_action[0], brute.state_action_marginals(4, 3), atol=TOL)
    assert torch.allclose(marginals.log_partition, brute.log_partition[None], rtol=1e-12)
