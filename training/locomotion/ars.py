"""Augmented Random Search (ARS V2-t, Mania et al. 2018) for the locomotion behaviour policies.

Where it sits: training/ (apart from the envs), the locomotion expert trainer for Hopper,
HalfCheetah and Ant, run by `envsuite-datagen train-policy <env>` through
training/locomotion/experts.py (Walker2d uses PPO, training/locomotion/ppo.py).
It writes to assets/locomotion/ (committed):
  <env>_expert.npz           linear policy (envsuite.policies.LinearPolicy) + training metadata
  <env>_medium.npz           the checkpoint whose return is closest to a third of the expert's
  <env>_training_record.npz  every training iteration up to the medium checkpoint (weights, observation
                             normaliser, perturbation seeds, env seeds): replaying it reproduces each
                             training rollout, which is what the medium-replay dataset is (D4RL)
  reference_scores.json      random (100 episodes of uniform actions), medium and expert returns

The method, per iteration k: draw N Gaussian directions delta_j (seeded by (seed, k)), roll out the
linear policies M +- nu * delta_j on observations normalised by the running statistics of every
state seen so far, keep the b best directions by max(r+, r-), and step
M += alpha / (b * sigma_R) * sum_j (r+_j - r-_j) delta_j. During training the per-step alive bonus
is subtracted from rewards (ARS's "shift"), which stops policies from learning to stand still.
Everything is determined by the seed: rollouts run in worker processes but results are gathered in
a fixed order.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from training.locomotion.rollout_pool import EVAL_SEED_BASE, RolloutPool, split_evenly
from envsuite.policies import LinearPolicy
from envsuite.policies.linear import linear_actions
from envsuite.policies.rollout import rollout_batch


@dataclass(frozen=True)
class ARSConfig:
    env_id: str
    step_size: float  # alpha
    directions: int  # N
    top_directions: int  # b
    noise: float  # nu
    reward_shift: float  # alive bonus subtracted per step during training
    target_return: float  # stop when the 10-episode evaluation reaches this
    max_iterations: int
    eval_every: int = 10
    eval_episodes: int = 10


# Hyper-parameters of the ARS paper (Table 9, V2-t) for the v1 envs; targets sit above the
# issue's bars so that the 100-episode evaluation clears them.
ARS_CONFIGS = {
    "hopper": ARSConfig("envsuite/Hopper-v0", 0.01, 8, 4, 0.025, 1.0, 3300.0, 1500),
    "halfcheetah": ARSConfig("envsuite/HalfCheetah-v0", 0.02, 32, 4, 0.03, 0.0, 4400.0, 1500),
    "ant": ARSConfig("envsuite/Ant-v0", 0.015, 60, 20, 0.025, 1.0, 2900.0, 2000),
}
CONFIGS = ARS_CONFIGS  # the trainer-module interface of training.locomotion.experts
TRAINER = "ARS V2-t (Mania et al. 2018), linear policy"



# --- rollouts of linear policies, in the worker processes of a RolloutPool ------------------------


def _rollout_linear_batch(stepper, task):
    """Roll out B linear policies (weights (B, A, D)) once each.

    Returns returns[B], lengths[B] and the per-rollout sums of observations and squared
    observations (B, D) for the normaliser. Runs on the batched engine (envsuite/locomotion/
    batched.py), which reproduces gymnasium's env bit for bit. Every number is computed per rollout
    (actions as a row-wise sum, statistics accumulated per row in time order), never across rows,
    so results do not depend on how rollouts are split among workers.
    """
    weights, obs_mean, obs_std, seeds = task
    zero_bias = np.zeros(weights.shape[1])  # the same expression as LinearPolicy, which has a bias
    obs_sum = np.zeros((len(seeds), weights.shape[2]))
    obs_sumsq = np.zeros((len(seeds), weights.shape[2]))

    def act(observations, rows):
        obs_sum[rows] += observations
        obs_sumsq[rows] += np.square(observations)
        normalised = (observations - obs_mean) / obs_std
        actions = linear_actions(weights[rows], normalised, zero_bias)
        return np.clip(actions, -1.0, 1.0).astype(np.float32)

    returns, lengths, _ = rollout_batch(stepper, seeds, act, record=False)
    return returns, lengths, obs_sum, obs_sumsq


class LinearRolloutPool:
    """Evaluates many linear policies in parallel worker processes, in a fixed order."""

    def __init__(self, env_id: str, workers: int, max_batch: int):
        workers = max(1, workers)
        self.pool = RolloutPool(env_id, workers, -(-max_batch // workers))

    def run(self, weights, obs_mean, obs_std, seeds):
        """Returns (returns[B], lengths[B], obs_sum, obs_sumsq) for B = len(seeds) policies.

        The observation sums are added over rollouts in rollout order, the same for any worker count.
        """
        tasks = [(weights[part], obs_mean, obs_std, np.asarray(seeds[part]))
                 for part in split_evenly(len(seeds), self.pool.workers)]
        results = self.pool.map(_rollout_linear_batch, tasks)
        returns = np.concatenate([r[0] for r in results])
        lengths = np.concatenate([r[1] for r in results])
        obs_sum = np.concatenate([r[2] for r in results]).sum(axis=0)
        obs_sumsq = np.concatenate([r[3] for r in results]).sum(axis=0)
        return returns, lengths, obs_sum, obs_sumsq

    def close(self):
        self.pool.close()


# --- training --------------------------------------------------------------------------------


@dataclass
class Checkpoint:
    iteration: int
    env_steps: int
    wall_seconds: float
    eval_return: float
    weights: np.ndarray
    obs_mean: np.ndarray
    obs_std: np.ndarray


@dataclass
class TrainingRun:
    config: ARSConfig
    seed: int
    checkpoints: list[Checkpoint] = field(default_factory=list)
    # per iteration: the policy centre, normaliser and env seeds its rollouts used
    iteration_weights: list[np.ndarray] = field(default_factory=list)
    iteration_obs_mean: list[np.ndarray] = field(default_factory=list)
    iteration_obs_std: list[np.ndarray] = field(default_factory=list)
    iteration_env_seeds: list[np.ndarray] = field(default_factory=list)
    iteration_delta_sha256: list[str] = field(default_factory=list)
    iteration_returns: list[np.ndarray] = field(default_factory=list)  # unshifted returns of the 2N rollouts
    iteration_lengths: list[np.ndarray] = field(default_factory=list)  # their lengths in steps
    env_steps: int = 0
    wall_seconds: float = 0.0


def iteration_deltas(seed: int, iteration: int, directions: int, shape: tuple[int, int]) -> np.ndarray:
    """The N perturbation directions of one iteration, regenerated from (seed, iteration) alone."""
    return np.random.default_rng([seed, iteration]).standard_normal((directions, *shape))


def iteration_env_seeds(seed: int, iteration: int, count: int) -> np.ndarray:
    return np.random.SeedSequence([seed, iteration, 1]).generate_state(count).astype(np.int64)


def train(env_name: str, *, seed: int = 0, workers: int = 2, max_iterations: int | None = None,
          target_return: float | None = None, state_path=None, log=print) -> TrainingRun:
    """Run ARS until the evaluation return reaches the target (or max_iterations).

    With `state_path`, the full training state is saved there at every evaluation and a rerun with
    the same env and seed resumes from it (a killed or timed-out training loses at most
    `eval_every` iterations; the result is the same as an uninterrupted run).
    """
    import gymnasium

    import envsuite  # noqa: F401

    config = ARS_CONFIGS[env_name]
    max_iterations = config.max_iterations if max_iterations is None else max_iterations
    target_return = config.target_return if target_return is None else target_return
    probe = gymnasium.make(config.env_id)
    obs_dim, act_dim = probe.observation_space.shape[0], probe.action_space.shape[0]
    probe.close()

    run = TrainingRun(config, seed)
    weights = np.zeros((act_dim, obs_dim))
    obs_mean, obs_std = np.zeros(obs_dim), np.ones(obs_dim)
    stat_count, stat_sum, stat_sumsq = 0, np.zeros(obs_dim), np.zeros(obs_dim)
    first_iteration, previous_seconds = 0, 0.0
    if state_path is not None and Path(state_path).exists():
        state = _load_state(state_path, config, seed)
        if state is not None:
            run, weights, obs_mean, obs_std, stat_count, stat_sum, stat_sumsq = state
            first_iteration, previous_seconds = len(run.iteration_weights), run.wall_seconds
            log(f"{env_name}: resuming from {state_path} at iteration {first_iteration}")
            if run.checkpoints and run.checkpoints[-1].eval_return >= target_return:
                return run

    pool = LinearRolloutPool(config.env_id, workers, max(2 * config.directions, config.eval_episodes))
    started = time.perf_counter() - previous_seconds
    try:
        for iteration in range(first_iteration, max_iterations):
            deltas = iteration_deltas(seed, iteration, config.directions, weights.shape)
            env_seeds = iteration_env_seeds(seed, iteration, 2 * config.directions)
            run.iteration_weights.append(weights.copy())
            run.iteration_obs_mean.append(obs_mean.copy())
            run.iteration_obs_std.append(obs_std.copy())
            run.iteration_env_seeds.append(env_seeds)
            run.iteration_delta_sha256.append(_sha256(deltas))

            candidates = np.concatenate([weights + config.noise * deltas, weights - config.noise * deltas])
            returns, lengths, obs_sum, obs_sumsq = pool.run(candidates, obs_mean, obs_std, env_seeds)
            run.iteration_returns.append(returns)
            run.iteration_lengths.append(lengths)
            shifted = returns - config.reward_shift * lengths
            plus, minus = shifted[: config.directions], shifted[config.directions :]
            top = np.argsort(-np.maximum(plus, minus), kind="stable")[: config.top_directions]
            sigma = np.std(np.concatenate([plus[top], minus[top]]))
            sigma = sigma if sigma > 1e-8 else 1.0
            step = np.einsum("j,jad->ad", plus[top] - minus[top], deltas[top])
            weights = weights + config.step_size / (config.top_directions * sigma) * step

            run.env_steps += int(lengths.sum())
            stat_count += int(lengths.sum())
            stat_sum += obs_sum
            stat_sumsq += obs_sumsq
            obs_mean = stat_sum / stat_count
            variance = np.maximum(stat_sumsq / stat_count - np.square(obs_mean), 0.0)
            # Near-constant features get std 1 (not ~0) so they cannot blow up the policy.
            obs_std = np.where(variance > 1e-8, np.sqrt(variance), 1.0)

            if (iteration + 1) % config.eval_every == 0 or iteration + 1 == max_iterations:
                eval_seeds = EVAL_SEED_BASE + np.arange(config.eval_episodes)
                eval_returns, _, _, _ = pool.run(
                    np.broadcast_to(weights, (config.eval_episodes, *weights.shape)), obs_mean, obs_std, eval_seeds
                )
                elapsed = time.perf_counter() - started
                checkpoint = Checkpoint(iteration + 1, run.env_steps, elapsed, float(eval_returns.mean()),
                                        weights.copy(), obs_mean.copy(), obs_std.copy())
                run.checkpoints.append(checkpoint)
                run.wall_seconds = elapsed
                log(f"{env_name} iter {iteration + 1:5d}  steps {run.env_steps:10d}  {elapsed:7.1f}s  "
                    f"eval return {checkpoint.eval_return:9.1f}")
                if state_path is not None:
                    _save_state(state_path, run, weights, stat_count, stat_sum, stat_sumsq)
                if checkpoint.eval_return >= target_return:
                    break
    finally:
        run.wall_seconds = time.perf_counter() - started
        pool.close()
    return run


def _save_state(path, run: TrainingRun, weights, stat_count, stat_sum, stat_sumsq) -> None:
    """Everything needed to resume training, written atomically."""
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as f:
        np.savez(
            f, config=np.array(json.dumps(asdict(run.config))), seed=np.int64(run.seed),
            weights=weights, stat_count=np.int64(stat_count), stat_sum=stat_sum, stat_sumsq=stat_sumsq,
            env_steps=np.int64(run.env_steps), wall_seconds=np.float64(run.wall_seconds),
            iteration_weights=np.asarray(run.iteration_weights), iteration_obs_mean=np.asarray(run.iteration_obs_mean),
            iteration_obs_std=np.asarray(run.iteration_obs_std), iteration_env_seeds=np.asarray(run.iteration_env_seeds),
            iteration_delta_sha256=np.asarray(run.iteration_delta_sha256),
            iteration_returns=np.asarray(run.iteration_returns),
            iteration_lengths=np.asarray(run.iteration_lengths),
            checkpoint_scalars=np.asarray([[c.iteration, c.env_steps, c.wall_seconds, c.eval_return] for c in run.checkpoints]),
            checkpoint_weights=np.asarray([c.weights for c in run.checkpoints]),
            checkpoint_obs_mean=np.asarray([c.obs_mean for c in run.checkpoints]),
            checkpoint_obs_std=np.asarray([c.obs_std for c in run.checkpoints]),
        )
    os.replace(temporary, path)


def _load_state(path, config: ARSConfig, seed: int):
    with np.load(path, allow_pickle=False) as state:
        if json.loads(str(state["config"])) != asdict(config) or int(state["seed"]) != seed:
            return None  # another configuration: start afresh
        run = TrainingRun(config, seed)
        run.env_steps, run.wall_seconds = int(state["env_steps"]), float(state["wall_seconds"])
        run.iteration_weights = list(state["iteration_weights"])
        run.iteration_obs_mean = list(state["iteration_obs_mean"])
        run.iteration_obs_std = list(state["iteration_obs_std"])
        run.iteration_env_seeds = list(state["iteration_env_seeds"])
        run.iteration_delta_sha256 = [str(x) for x in state["iteration_delta_sha256"]]
        if "iteration_lengths" not in state.files:
            return None  # a state from before returns and lengths were recorded: start afresh
        run.iteration_returns = list(state["iteration_returns"])
        run.iteration_lengths = list(state["iteration_lengths"])
        for scalars, w, m, s in zip(state["checkpoint_scalars"], state["checkpoint_weights"],
                                    state["checkpoint_obs_mean"], state["checkpoint_obs_std"]):
            run.checkpoints.append(Checkpoint(int(scalars[0]), int(scalars[1]), float(scalars[2]), float(scalars[3]), w, m, s))
        stat_sum, stat_sumsq, stat_count = state["stat_sum"], state["stat_sumsq"], int(state["stat_count"])
        weights = state["weights"]
    # Resuming happens at an evaluation boundary: the normaliser is the one after the last iteration.
    obs_mean = stat_sum / stat_count
    variance = np.maximum(stat_sumsq / stat_count - np.square(obs_mean), 0.0)
    obs_std = np.where(variance > 1e-8, np.sqrt(variance), 1.0)
    return run, weights, obs_mean, obs_std, stat_count, stat_sum, stat_sumsq


def _sha256(array: np.ndarray) -> str:
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(array, dtype=np.float64).tobytes()).hexdigest()


def checkpoint_policy(checkpoint: Checkpoint, env_name: str, kind: str, metadata: dict) -> LinearPolicy:
    return LinearPolicy(checkpoint.weights, checkpoint.obs_mean, checkpoint.obs_std,
                        -np.ones(checkpoint.weights.shape[0]), np.ones(checkpoint.weights.shape[0]),
                        name=f"{env_name}-{kind}", metadata=metadata)


def evaluate_policy(policy, env_id: str, episodes: int = 100, workers: int = 2, seed_base: int = EVAL_SEED_BASE):
    """Mean/std return of a deterministic linear policy over `episodes` seeded episodes (seeds seed_base + i)."""
    pool = LinearRolloutPool(env_id, workers, episodes)
    try:
        returns, lengths, _, _ = pool.run(np.broadcast_to(policy.weights, (episodes, *policy.weights.shape)),
                                         policy.obs_mean, policy.obs_std, seed_base + np.arange(episodes))
    finally:
        pool.close()
    return returns, lengths


def evaluate_random(env_id: str, episodes: int = 100, seed: int = 0):
    """Returns of `episodes` episodes of uniform random actions (the D4RL random reference)."""
    import gymnasium

    import envsuite  # noqa: F401
    from envsuite.policies import UniformRandomPolicy

    envs = [gymnasium.make(env_id) for _ in range(episodes)]
    policy = UniformRandomPolicy(envs[0].action_space)
    rng = np.random.default_rng(seed)
    returns, lengths, _ = rollout_batch(envs, EVAL_SEED_BASE + np.arange(episodes), lambda obs, rows: policy(obs, rng),
                                        record=False)
    for env in envs:
        env.close()
    return returns, lengths


def select_medium(run: TrainingRun, expert_return: float) -> Checkpoint:
    """The earliest checkpoint whose evaluation return is closest to a third of the expert's."""
    target = expert_return / 3.0
    return min(run.checkpoints, key=lambda c: (abs(c.eval_return - target), c.iteration))


def save_training_record(run: TrainingRun, medium: Checkpoint, path: Path) -> Path:
    """Iterations 0 .. medium.iteration - 1: enough to replay every training rollout up to medium."""
    count = medium.iteration
    config = run.config
    np.savez_compressed(
        path,
        weights=np.asarray(run.iteration_weights[:count], dtype=np.float64),
        obs_mean=np.asarray(run.iteration_obs_mean[:count]),
        obs_std=np.asarray(run.iteration_obs_std[:count]),
        env_seeds=np.asarray(run.iteration_env_seeds[:count]),
        delta_sha256=np.asarray(run.iteration_delta_sha256[:count]),
        returns=np.asarray(run.iteration_returns[:count]),
        lengths=np.asarray(run.iteration_lengths[:count]),
        seed=np.int64(run.seed),
        noise=np.float64(config.noise),
        directions=np.int64(config.directions),
        config=np.array(json.dumps(asdict(config))),
    )
    return path


def record_rollout_lengths(record_path) -> np.ndarray:
    """Length in steps of every training rollout of a record, in training order."""
    with np.load(record_path, allow_pickle=False) as record:
        if "lengths" not in record.files:
            raise ValueError(f"{record_path} predates recorded rollout lengths; retrain with envsuite-datagen train-policy")
        return record["lengths"].reshape(-1).astype(np.int64)


def replay_policies(record_path) -> list[tuple[int, int, LinearPolicy, int]]:
    """Every training rollout of a record as (iteration, index, policy, env seed), in training order.

    (`record_rollout_lengths` gives their lengths in the same order.)

    Index j < N is the + perturbation of direction j, index N + j the - one, as during training.
    Raises if the regenerated perturbations differ from the recorded checksums (a numpy random
    stream change would otherwise silently produce different rollouts).
    """
    with np.load(record_path, allow_pickle=False) as record:
        weights, obs_mean, obs_std = record["weights"], record["obs_mean"], record["obs_std"]
        env_seeds, checksums = record["env_seeds"], record["delta_sha256"]
        seed, noise, directions = int(record["seed"]), float(record["noise"]), int(record["directions"])
    rollouts = []
    act_dim = weights.shape[1]
    for iteration in range(len(weights)):
        deltas = iteration_deltas(seed, iteration, directions, weights.shape[1:])
        if _sha256(deltas) != str(checksums[iteration]):
            raise RuntimeError(
                f"{record_path}: perturbations of iteration {iteration} do not match the record; this numpy "
                f"({np.__version__}) draws different normals than the one that trained the policy."
            )
        candidates = np.concatenate([weights[iteration] + noise * deltas, weights[iteration] - noise * deltas])
        for index, candidate in enumerate(candidates):
            policy = LinearPolicy(candidate, obs_mean[iteration], obs_std[iteration], -np.ones(act_dim),
                                  np.ones(act_dim), name=f"ars-iter{iteration}-{index}")
            rollouts.append((iteration, index, policy, int(env_seeds[iteration][index])))
    return rollouts
