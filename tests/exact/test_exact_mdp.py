"""TabularMDP validation, dense conversion and the builders."""

import pytest
import torch

from diffplan.errors import UserError
from diffplan.exact import MOVE_NAMES, TabularMDP, gridworld, gridworld_from_ascii, lottery_mdp, random_mdp


def _dense_parts(S: int = 3, A: int = 2):
    transitions = torch.full((S, A, S), 1.0 / S, dtype=torch.float64)
    reward = torch.zeros((S, A), dtype=torch.float64)
    initial = torch.full((S,), 1.0 / S, dtype=torch.float64)
    return initial, transitions, reward


def test_unbatched_inputs_get_a_batch_dimension_and_uniform_prior():
    mdp = TabularMDP.from_dense(*_dense_parts(), horizon=2)
    assert mdp.initial.shape == (1, 3)
    assert mdp.next_state.shape == (1, 3, 1, 3)
    assert torch.allclose(mdp.action_prior, torch.full((1, 3, 2), 0.5, dtype=torch.float64))


def test_dense_round_trip():
    mdp = random_mdp(4, 3, batch_size=2, horizon=2, seed=3)
    dense = mdp.dense_transitions()
    again = TabularMDP.from_dense(mdp.initial, dense, mdp.reward, mdp.action_prior, horizon=2)
    assert torch.equal(again.dense_transitions(), dense)
    assert torch.allclose(dense.sum(-1), torch.ones((2, 4, 3), dtype=torch.float64))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda p: {**p, "transitions": p["transitions"] * 0.9}, "next_prob does not sum to 1"),
        (lambda p: {**p, "initial": p["initial"] * 2}, "initial does not sum to 1"),
        (lambda p: {**p, "alpha": 0.0}, "alpha must be > 0"),
        (lambda p: {**p, "alpha": -1.0}, "alpha must be > 0"),
        (lambda p: {**p, "horizon": 0}, "horizon must be a positive int"),
        (lambda p: {**p, "discount": 1.5}, "discount must lie in"),
        (lambda p: {**p, "reward": p["reward"] + float("nan")}, "reward has NaN"),
        (lambda p: {**p, "reward": p["reward"][:2]}, "reward must have shape"),
        (lambda p: {**p, "action_prior": torch.tensor([[1.0, 1.0]] * 3, dtype=torch.float64)}, "action_prior"),
    ],
)
def test_user_errors_are_one_line(change, message):
    initial, transitions, reward = _dense_parts()
    params = change({"initial": initial, "transitions": transitions, "reward": reward, "horizon": 2})
    with pytest.raises(UserError, match=message) as info:
        TabularMDP.from_dense(**params)
    assert "\n" not in str(info.value)


def test_negative_probabilities_and_bad_indices_are_rejected():
    mdp = gridworld(2, 2, horizon=3)
    bad = mdp.next_prob.clone()
    bad[0, 0, 0, 0] = -0.1
    bad[0, 0, 0, 1] += 0.1
    with pytest.raises(UserError, match="negative"):
        mdp.replace(next_prob=bad)
    with pytest.raises(UserError, match="outside"):
        mdp.replace(next_state=mdp.next_state + 10)


@pytest.mark.parametrize("slip", [-0.1, 1.5])
def test_gridworld_rejects_bad_slip(slip):
    with pytest.raises(UserError, match="slip"):
        gridworld(3, 3, slip=slip)


def test_gridworld_moves_walls_and_slip():
    mdp = gridworld_from_ascii(["S.#", "..G"], slip=0.5, horizon=4)
    dense = mdp.dense_transitions()[0]
    right, down, up = MOVE_NAMES.index("right"), MOVE_NAMES.index("down"), MOVE_NAMES.index("up")
    # from (0, 1) moving right hits the wall at (0, 2): stays put with the intended share
    assert dense[1, right, 1] == pytest.approx(0.5 + 0.5 * 3 / 5)  # right, up (edge) and stay keep it in place
    assert dense[1, right, 0] == pytest.approx(0.5 / 5)  # slipped left
    assert dense[1, right, 4] == pytest.approx(0.5 / 5)  # slipped down
    assert dense[0, down, 3] == pytest.approx(0.5 + 0.5 / 5)
    assert dense[0, up, 0] == pytest.approx(0.5 + 0.5 * 3 / 5)  # up, left, stay
    assert mdp.reward[0, 5].tolist() == [1.0] * 5 and mdp.reward[0, 0].sum() == 0
    assert mdp.initial[0, 0] == 1.0


def test_lottery_expected_value_is_negative():
    mdp = lottery_mdp()
    assert mdp.num_states == 4 and mdp.horizon == 2
    assert -1.0 + 0.001 * 100.0 < 0
