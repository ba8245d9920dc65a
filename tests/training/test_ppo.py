"""The PPO trainer: gradients against finite differences, GAE against a direct sum, determinism,
resume, and training records that replay in gymnasium's own env (the oracle)."""

from dataclasses import replace

import gymnasium
import numpy as np
import pytest

import envsuite  # noqa: F401
from training.locomotion import experts, ppo
from envsuite.policies.rollout import rollout_batch

# A few small iterations of Walker2d: enough to exercise every code path in seconds.
TINY = replace(ppo.PPO_CONFIGS["walker2d"], total_steps=1500, steps_per_iteration=300, epochs=2, eval_every=2,
               eval_episodes=2)


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    params = ppo.init_params(rng, 5, 3, (7, 6))
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}
    x, actions = rng.standard_normal((11, 5)), rng.standard_normal((11, 3))
    mean = ppo.policy_layers(params)
    from envsuite.policies.mlp import mlp_mean_actions

    old_log_prob = ppo.gaussian_log_prob(mlp_mean_actions(mean, x), params["log_std"], actions)
    old_log_prob = old_log_prob + 0.2 * rng.standard_normal(11)  # some ratios outside the clip range
    advantages, returns = rng.standard_normal(11), rng.standard_normal(11)
    config = ppo.PPO_CONFIGS["walker2d"]
    _, _, grads = ppo.ppo_loss_and_grads(params, x, actions, old_log_prob, advantages, returns, config)
    for key, value in params.items():
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            losses = []
            for sign in (1, -1):
                shifted = dict(params, **{key: value.copy()})
                shifted[key][index] += sign * 1e-6
                losses.append(ppo.ppo_loss_and_grads(shifted, x, actions, old_log_prob, advantages, returns, config)[0])
            numeric[index] = (losses[0] - losses[1]) / 2e-6
        np.testing.assert_allclose(grads[key], numeric, rtol=1e-5, atol=1e-7, err_msg=key)


def test_gae_equals_the_direct_sum():
    rng = np.random.default_rng(1)
    rewards, values = rng.standard_normal(7), rng.standard_normal(7)
    gamma, lam, bootstrap = 0.99, 0.95, 0.7
    advantages, returns = ppo.advantages_and_returns(rewards, values, bootstrap, gamma, lam)
    next_values = np.append(values[1:], bootstrap)
    deltas = rewards + gamma * next_values - values
    expected = [sum((gamma * lam) ** (k - t) * deltas[k] for k in range(t, 7)) for t in range(7)]
    np.testing.assert_allclose(advantages, expected, rtol=1e-12)
    np.testing.assert_allclose(returns, advantages + values)


def test_running_moments_equal_numpy():
    rng = np.random.default_rng(2)
    data = rng.standard_normal((50, 3)) * [1.0, 5.0, 0.0] + 3.0
    moments = ppo.RunningMoments(3)
    for part in np.array_split(data, [7, 8, 30]):
        moments.update(part)
    np.testing.assert_allclose(moments.mean, data.mean(axis=0))
    np.testing.assert_allclose(moments.std, np.where(data.var(axis=0) > 1e-8, data.std(axis=0), 1.0))


@pytest.fixture(scope="module")
def tiny_run():
    return ppo.train("walker2d", config=TINY, workers=1, log=lambda m: None)


class _Killed(Exception):
    pass


def _kill(message):
    raise _Killed(message)


def test_a_killed_training_resumes_to_the_same_policy_with_any_worker_count(tiny_run, tmp_path):
    state = tmp_path / "state.npz"
    with pytest.raises(_Killed):  # the log line after the first saved evaluation kills the run
        ppo.train("walker2d", config=TINY, workers=1, state_path=state, log=_kill)
    resumed = ppo.train("walker2d", config=TINY, workers=2, state_path=state, log=lambda m: None)
    assert len(tiny_run.checkpoints) > 1
    assert [c.eval_return for c in resumed.checkpoints] == [c.eval_return for c in tiny_run.checkpoints]
    for key, value in tiny_run.checkpoints[-1].params.items():
        np.testing.assert_array_equal(resumed.checkpoints[-1].params[key], value)
    assert resumed.env_steps == tiny_run.env_steps
    np.testing.assert_array_equal(np.concatenate(resumed.iteration_returns), np.concatenate(tiny_run.iteration_returns))


def test_training_record_replays_in_gymnasium(tiny_run, tmp_path):
    record = ppo.save_training_record(tiny_run, tiny_run.checkpoints[-1], tmp_path / "record.npz")
    rollouts = experts.replay_policies(record)
    lengths = experts.record_rollout_lengths(record)
    assert len(rollouts) == len(lengths) == sum(len(s) for s in tiny_run.iteration_env_seeds)
    assert lengths.sum() == tiny_run.env_steps
    recorded_returns = np.concatenate(tiny_run.iteration_returns)
    chosen = [0, 1, len(rollouts) - 1]  # first iteration and the last one
    envs = [gymnasium.make("envsuite/Walker2d-v0") for _ in chosen]
    returns = []
    for env, index in zip(envs, chosen):
        _, _, policy, seed = rollouts[index]
        episode_return, _, _ = rollout_batch([env], [seed], lambda obs, rows: policy(obs, np.random.default_rng(0)),
                                             record=False)
        returns.append(episode_return[0])
    np.testing.assert_allclose(returns, recorded_returns[chosen], rtol=0, atol=1e-9)


def test_expert_files_round_trip_and_evaluate(tiny_run, tmp_path):
    policy = ppo.checkpoint_policy(tiny_run.checkpoints[-1], "walker2d", "expert", {"note": "test"})
    path = policy.save(tmp_path / "expert.npz")
    loaded = experts.load_policy(path)
    obs = np.random.default_rng(3).standard_normal((4, 17))
    np.testing.assert_array_equal(loaded(obs, np.random.default_rng(0)), policy(obs, np.random.default_rng(1)))
    returns, _ = experts.evaluate_policy(loaded, "envsuite/Walker2d-v0", episodes=2, workers=1)
    assert np.mean(returns) == pytest.approx(tiny_run.checkpoints[-1].eval_return, abs=1e-9)
