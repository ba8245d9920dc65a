"""Behaviour policies against plain numpy formulas and sampling statistics."""

import numpy as np
import pytest
from gymnasium import spaces

from envsuite.policies import EpsilonRandom, LinearPolicy, Mixture, Noisy, UniformRandomPolicy

BOX = spaces.Box(-1.0, 1.0, (3,), np.float32)


def test_uniform_random_is_in_bounds_and_reports_its_density():
    policy = UniformRandomPolicy(BOX)
    actions = policy(np.zeros((5000, 11)), np.random.default_rng(0))
    assert actions.shape == (5000, 3) and actions.dtype == np.float32
    assert actions.min() >= -1 and actions.max() <= 1
    assert abs(actions.mean()) < 0.03 and actions.std() == pytest.approx(1 / np.sqrt(3), abs=0.02)
    np.testing.assert_allclose(policy.info["log_prob"], -3 * np.log(2.0))


def test_uniform_random_discrete():
    policy = UniformRandomPolicy(spaces.Discrete(4, start=1))
    actions = policy(np.zeros((4000, 2)), np.random.default_rng(1))
    assert set(np.unique(actions)) == {1, 2, 3, 4}


def test_policies_require_a_generator():
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        UniformRandomPolicy(BOX)(np.zeros((2, 3)), 0)


def test_linear_policy_formula_and_npz_round_trip(tmp_path):
    rng = np.random.default_rng(2)
    weights, bias = rng.normal(size=(3, 11)), rng.normal(size=3)
    mean, std = rng.normal(size=11), rng.uniform(0.5, 2, size=11)
    policy = LinearPolicy(weights, mean, std, -np.ones(3), np.ones(3), bias=bias, name="p", metadata={"steps": 7})
    obs = rng.normal(size=(64, 11))
    expected = np.clip(((obs - mean) / std) @ weights.T + bias, -1, 1).astype(np.float32)
    np.testing.assert_allclose(policy(obs, rng), expected, rtol=0, atol=1e-6)
    loaded = LinearPolicy.load(policy.save(tmp_path / "p.npz"))
    np.testing.assert_array_equal(loaded(obs, rng), policy(obs, rng))
    # a row's action does not depend on the rest of the batch (bit for bit)
    batched = policy(obs, rng)
    for row in (0, 17, 63):
        np.testing.assert_array_equal(policy(obs[row : row + 1], rng)[0], batched[row])
    assert loaded.name == "p" and loaded.metadata == {"steps": 7}


def test_linear_policy_rejects_bad_shapes():
    with pytest.raises(ValueError, match="obs_mean must have shape"):
        LinearPolicy(np.zeros((3, 11)), np.zeros(10), np.ones(11), -np.ones(3), np.ones(3))
    policy = LinearPolicy(np.zeros((3, 11)), np.zeros(11), np.ones(11), -np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"\(batch, 11\)"):
        policy(np.zeros((2, 5)), np.random.default_rng(0))


class Constant(LinearPolicy):
    def __init__(self, value):
        super().__init__(np.zeros((3, 2)), np.zeros(2), np.ones(2), -np.ones(3), np.ones(3), bias=np.full(3, value),
                         name=f"const{value}")


def test_noisy_adds_gaussian_noise_and_clips():
    policy = Noisy(Constant(0.0), 0.2, BOX)
    actions = policy(np.zeros((20000, 2)), np.random.default_rng(3))
    assert actions.std() == pytest.approx(0.2, rel=0.03)
    clipped = Noisy(Constant(0.95), 0.5, BOX)(np.zeros((1000, 2)), np.random.default_rng(3))
    assert clipped.max() <= 1.0 and (clipped == 1.0).any()


def test_epsilon_random_replaces_about_epsilon_of_the_rows():
    policy = EpsilonRandom(Constant(0.5), 0.3, BOX)
    actions = policy(np.zeros((20000, 2)), np.random.default_rng(4))
    replaced = policy.info["random_action"]
    assert replaced.mean() == pytest.approx(0.3, abs=0.02)
    assert np.all(actions[~replaced] == np.float32(0.5))
    assert not np.all(actions[replaced] == np.float32(0.5))


def test_mixture_picks_policies_with_the_given_weights():
    policy = Mixture([Constant(-0.5), Constant(0.5)], [0.25, 0.75])
    actions = policy(np.zeros((20000, 2)), np.random.default_rng(5))
    chosen = policy.info["policy_index"]
    assert chosen.mean() == pytest.approx(0.75, abs=0.02)
    np.testing.assert_array_equal(actions[:, 0], np.where(chosen == 1, 0.5, -0.5).astype(np.float32))
    with pytest.raises(ValueError, match="non-negative"):
        Mixture([Constant(0.0)], [-1.0])


def _mlp(rng, obs_dim=5, hidden=7, act_dim=3, **kwargs):
    from envsuite.policies.mlp import MLPPolicy

    layers = [(rng.standard_normal((hidden, obs_dim)), rng.standard_normal(hidden)),
              (rng.standard_normal((act_dim, hidden)), rng.standard_normal(act_dim))]
    return MLPPolicy(layers, rng.standard_normal(obs_dim), rng.uniform(0.5, 2.0, obs_dim), -np.ones(act_dim),
                     np.ones(act_dim), obs_clip=1.5, **kwargs)


def test_mlp_policy_formula_and_npz_round_trip(tmp_path):
    from envsuite.policies.mlp import MLPPolicy

    rng = np.random.default_rng(0)
    policy = _mlp(rng, metadata={"trained": "test"})
    obs = rng.standard_normal((6, 5)) * 3
    (w0, b0), (w1, b1) = policy.layers
    x = np.clip((obs - policy.obs_mean) / policy.obs_std, -1.5, 1.5)
    expected = np.clip(np.maximum(x @ w0.T + b0, 0) @ w1.T + b1, -1, 1).astype(np.float32)
    np.testing.assert_allclose(policy(obs, rng), expected, rtol=1e-6, atol=1e-6)
    loaded = MLPPolicy.load(policy.save(tmp_path / "mlp.npz"))
    np.testing.assert_array_equal(loaded(obs, rng), policy(obs, rng))
    assert loaded.metadata == {"trained": "test"}
    with pytest.raises(ValueError, match="not an MLPPolicy file"):
        MLPPolicy.load(LinearPolicy(np.zeros((3, 5)), np.zeros(5), np.ones(5), -np.ones(3), np.ones(3)).save(tmp_path / "lin.npz"))


def test_mlp_policy_rows_do_not_depend_on_the_batch():
    rng = np.random.default_rng(1)
    policy = _mlp(rng, obs_dim=17, hidden=64, act_dim=6)
    obs = rng.standard_normal((40, 17))
    batched = policy(obs, rng)
    one_by_one = np.concatenate([policy(obs[i : i + 1], rng) for i in range(40)])
    np.testing.assert_array_equal(batched, one_by_one)


def test_mlp_policy_with_a_noise_seed_uses_its_own_stream():
    rng = np.random.default_rng(2)
    obs = rng.standard_normal((1, 5))
    first = _mlp(np.random.default_rng(3), log_std=np.full(3, -1.0), noise_seed=[7, 0])
    second = _mlp(np.random.default_rng(3), log_std=np.full(3, -1.0), noise_seed=[7, 0])
    # the rng argument is ignored: the same noise seed gives the same actions whatever rng is passed
    np.testing.assert_array_equal(first(obs, np.random.default_rng(10)), second(obs, np.random.default_rng(99)))
    deterministic = _mlp(np.random.default_rng(3))
    third = _mlp(np.random.default_rng(3), log_std=np.full(3, -1.0), noise_seed=[7, 0])
    noise = np.random.default_rng([7, 0]).standard_normal((1, 3))
    np.testing.assert_array_equal(third.sample_unclipped(obs), deterministic.mean_actions(obs) + np.exp(-1.0) * noise)
    with pytest.raises(ValueError, match="noise_seed needs log_std"):
        _mlp(np.random.default_rng(3), noise_seed=1)


def test_mlp_policy_rejects_bad_shapes():
    from envsuite.policies.mlp import MLPPolicy

    rng = np.random.default_rng(4)
    with pytest.raises(ValueError, match="layer 1 takes 4 inputs but layer 0 gives 7"):
        MLPPolicy([(np.zeros((7, 5)), np.zeros(7)), (np.zeros((3, 4)), np.zeros(3))], np.zeros(5), np.ones(5),
                  -np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"expected observations of shape \(batch, 5\)"):
        _mlp(rng)(np.zeros((2, 4)), rng)


def test_row_streams_give_each_row_its_own_generator():
    from envsuite.policies import RowStreams

    space = spaces.Box(-1.0, 1.0, (3,), np.float32)
    inner = LinearPolicy(np.eye(3), np.zeros(3), np.ones(3), -np.ones(3), np.ones(3))
    policies = [Noisy(inner, 0.3, space), EpsilonRandom(inner, 0.5, space), UniformRandomPolicy(space)]
    obs = np.random.default_rng(5).uniform(-0.5, 0.5, (4, 3))
    for policy in policies:
        batched = policy(obs, RowStreams([np.random.default_rng([9, row]) for row in range(4)]))
        one_by_one = np.concatenate([policy(obs[row : row + 1], RowStreams([np.random.default_rng([9, row])]))
                                     for row in range(4)])
        np.testing.assert_array_equal(batched, one_by_one, err_msg=policy.name)
    discrete = UniformRandomPolicy(spaces.Discrete(5))
    streams = RowStreams([np.random.default_rng(row) for row in range(4)])
    np.testing.assert_array_equal(discrete(obs, streams),
                                  [np.random.default_rng(row).integers(0, 5) for row in range(4)])
    with pytest.raises(ValueError, match="2 row streams for a batch of 4"):
        discrete(obs, RowStreams([np.random.default_rng(0)] * 2))
