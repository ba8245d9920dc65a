"""Proximal Policy Optimisation (PPO, Schulman et al. 2017) for the Walker2d behaviour policies.

Where it sits: training/ (apart from the envs), the second locomotion expert trainer, run by
`envsuite-datagen train-policy walker2d` (training/locomotion/experts.py picks it; ARS,
training/locomotion/ars.py, trains Hopper, HalfCheetah and Ant). A linear ARS policy learned
Walker2d-v5 too slowly here: the physics runs at about 7,000 env steps/s on two cores and ARS
reached only 1,090 after 24M steps; PPO passed 3,700 in 0.67M steps. It writes to assets/locomotion/ (committed):
  <env>_expert.npz           envsuite.policies.MLPPolicy (deterministic mean action)
  <env>_medium.npz           the checkpoint whose return is closest to a third of the expert's
  <env>_training_record.npz  every training iteration up to the medium checkpoint: the policy, its
                             normaliser and the env seeds of each rollout; replaying it (with the
                             per-rollout noise seeds) reproduces each training rollout, which is
                             what the medium-replay dataset is (D4RL: the replay buffer up to medium)
  reference_scores.json      random, medium and expert returns

The method, per iteration k: roll out whole episodes of the Gaussian policy
clip(mean(x) + exp(log_std) * noise) until at least `steps_per_iteration` steps are collected
(whole episodes, so each training rollout is one replayable episode of one policy); estimate
advantages with GAE on rewards scaled by the running std of the discounted return; take `epochs`
passes of clipped-surrogate Adam steps over minibatches. Observations are normalised by running
statistics of every state seen before the iteration (as ARS V2 does) and clipped to +-10. The
networks are 64x64: the policy with ReLU (bit-exact replay, see envsuite/policies/mlp.py), the value
function with tanh. Gradients are written out by hand in numpy (checked against finite differences
in the tests), so training needs no deep-learning framework.

Reproducibility: env seeds and noise seeds are functions of (seed, iteration, episode); every
rollout is computed row by row; results come back in episode order. The same seed gives the same
policy for any worker count on one machine (the minibatch updates use BLAS, whose rounding may
differ on another CPU; the committed record, not retraining, is what medium-replay replays).
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from training.locomotion.rollout_pool import EVAL_SEED_BASE, RolloutPool, split_evenly
from envsuite.policies.mlp import MLPPolicy, mlp_mean_actions, normalise_observations
from envsuite.policies.rollout import rollout_batch

ENVS_PER_WORKER = 64
LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class PPOConfig:
    env_id: str
    total_steps: int  # the learning rate decays linearly to 0 over this many env steps; training stops there
    target_return: float  # stop when the 10-episode evaluation reaches this
    steps_per_iteration: int = 2048
    hidden: tuple[int, ...] = (64, 64)
    epochs: int = 10
    minibatch: int = 64
    learning_rate: float = 3e-4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip: float = 0.2
    value_coef: float = 0.5
    max_grad_norm: float = 0.5
    obs_clip: float = 10.0
    reward_clip: float = 10.0
    eval_every: int = 20
    eval_episodes: int = 10


# CleanRL's ppo_continuous_action hyper-parameters; targets sit above the bars so that the
# 100-episode evaluation clears them.
PPO_CONFIGS = {
    "walker2d": PPOConfig("envsuite/Walker2d-v0", 4_000_000, 3400.0),
}
CONFIGS = PPO_CONFIGS  # the trainer-module interface of training.locomotion.experts
TRAINER = "PPO (Schulman et al. 2017), 64x64 ReLU MLP policy"


# --- networks -------------------------------------------------------------------------------


def init_params(rng: np.random.Generator, obs_dim: int, act_dim: int, hidden: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Orthogonal initialisation (gain sqrt 2 for hidden layers, 0.01 policy output, 1 value output)."""

    def orthogonal(rows, cols, gain):
        a = rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        q = q if rows >= cols else q.T
        return gain * q[:rows, :cols]

    params = {}
    for prefix, out_dim, out_gain in (("pi", act_dim, 0.01), ("v", 1, 1.0)):
        sizes = (obs_dim, *hidden, out_dim)
        for i in range(len(sizes) - 1):
            gain = out_gain if i == len(sizes) - 2 else math.sqrt(2.0)
            params[f"{prefix}_w{i}"] = orthogonal(sizes[i + 1], sizes[i], gain)
            params[f"{prefix}_b{i}"] = np.zeros(sizes[i + 1])
    params["log_std"] = np.zeros(act_dim)
    return params


def layer_count(params) -> int:
    return sum(1 for key in params if key.startswith("pi_w"))


def policy_layers(params) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(params[f"pi_w{i}"], params[f"pi_b{i}"]) for i in range(layer_count(params))]


def _forward(params, prefix, x, activation):
    """Activations of every layer (BLAS products; for training only, never for acting)."""
    count = layer_count(params)
    hidden, cache = x, []
    for i in range(count):
        pre = hidden @ params[f"{prefix}_w{i}"].T + params[f"{prefix}_b{i}"]
        cache.append((hidden, pre))
        hidden = pre if i == count - 1 else activation(pre)
    return hidden, cache


def _backward(params, prefix, cache, grad_out, activation_grad, grads):
    count = layer_count(params)
    grad = grad_out
    for i in reversed(range(count)):
        inputs, pre = cache[i]
        if i != count - 1:
            grad = grad * activation_grad(pre)
        grads[f"{prefix}_w{i}"] = grad.T @ inputs
        grads[f"{prefix}_b{i}"] = grad.sum(axis=0)
        grad = grad @ params[f"{prefix}_w{i}"]


def _relu(x):
    return np.maximum(x, 0.0)


def _relu_grad(pre):
    return (pre > 0).astype(np.float64)


def _tanh_grad(pre):
    return 1.0 - np.square(np.tanh(pre))


def gaussian_log_prob(mean, log_std, actions):
    z = (actions - mean) / np.exp(log_std)
    return -0.5 * np.sum(np.square(z), axis=1) - np.sum(log_std) - 0.5 * mean.shape[1] * LOG_2PI


def values(params, x) -> np.ndarray:
    out, _ = _forward(params, "v", x, np.tanh)
    return out[:, 0]


def ppo_loss_and_grads(params, x, actions, old_log_prob, advantages, returns, config: PPOConfig):
    """Clipped-surrogate loss + value_coef * 0.5 * mean squared value error, and its gradients.

    `advantages` are used as given (normalise them before). Returns (loss, stats, grads).
    """
    batch = len(x)
    mean, pi_cache = _forward(params, "pi", x, _relu)
    log_std = params["log_std"]
    std = np.exp(log_std)
    z = (actions - mean) / std
    log_prob = -0.5 * np.sum(np.square(z), axis=1) - np.sum(log_std) - 0.5 * mean.shape[1] * LOG_2PI
    ratio = np.exp(log_prob - old_log_prob)
    unclipped = ratio * advantages
    clipped = np.clip(ratio, 1.0 - config.clip, 1.0 + config.clip) * advantages
    policy_loss = -np.mean(np.minimum(unclipped, clipped))
    # d min(.)/d ratio is the advantage where the unclipped term is the smaller one, else 0
    grad_log_prob = -(advantages * ratio * (unclipped <= clipped)) / batch

    value, v_cache = _forward(params, "v", x, np.tanh)
    value_error = value[:, 0] - returns
    value_loss = 0.5 * np.mean(np.square(value_error))

    grads: dict[str, np.ndarray] = {}
    grad_mean = grad_log_prob[:, None] * z / std
    grads["log_std"] = np.sum(grad_log_prob[:, None] * (np.square(z) - 1.0), axis=0)
    _backward(params, "pi", pi_cache, grad_mean, _relu_grad, grads)
    _backward(params, "v", v_cache, (config.value_coef * value_error / batch)[:, None], _tanh_grad, grads)
    loss = policy_loss + config.value_coef * value_loss
    stats = {"policy_loss": policy_loss, "value_loss": value_loss,
             "clip_fraction": float(np.mean(np.abs(ratio - 1.0) > config.clip))}
    return loss, stats, grads


class Adam:
    def __init__(self, params, eps=1e-5, beta1=0.9, beta2=0.999):
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0
        self.eps, self.beta1, self.beta2 = eps, beta1, beta2

    def step(self, params, grads, learning_rate):
        self.t += 1
        correction1 = 1.0 - self.beta1 ** self.t
        correction2 = 1.0 - self.beta2 ** self.t
        for key, grad in grads.items():
            self.m[key] = self.beta1 * self.m[key] + (1.0 - self.beta1) * grad
            self.v[key] = self.beta2 * self.v[key] + (1.0 - self.beta2) * np.square(grad)
            step = learning_rate * (self.m[key] / correction1) / (np.sqrt(self.v[key] / correction2) + self.eps)
            params[key] = params[key] - step


# --- rollouts, in the worker processes of a RolloutPool -------------------------------------------


def episode_noise_seed(seed: int, iteration: int, episode: int) -> list[int]:
    """Seed of the action-noise stream of one training rollout (MLPPolicy noise_seed)."""
    return [seed, iteration, episode, 2]


def iteration_env_seeds(seed: int, iteration: int, count: int) -> np.ndarray:
    return np.random.SeedSequence([seed, iteration, 1]).generate_state(count).astype(np.int64)


def _rollout_mlp_batch(stepper, task):
    """Episodes of one MLP policy, each with its env seed and (if stochastic) its own noise stream.

    Returns per episode (observations (T, D) float64, unclipped actions (T, A), rewards (T,),
    terminated at the end, final observation). The mean action is computed for the whole batch
    row by row, then each row adds noise from its own generator: the same numbers as
    MLPPolicy(..., noise_seed=...).act on that episode alone (replay relies on it).
    """
    layers, log_std, obs_mean, obs_std, obs_clip, env_seeds, noise_seeds = task
    std = np.exp(log_std)
    episodes = []
    for part in split_evenly(len(env_seeds), -(-len(env_seeds) // stepper.num_envs)):
        seeds = env_seeds[part]
        rngs = None if noise_seeds is None else [np.random.default_rng(s) for s in noise_seeds[part]]
        raw_actions: list[list[np.ndarray]] = [[] for _ in seeds]

        def act(observations, rows):
            mean = mlp_mean_actions(layers, normalise_observations(observations, obs_mean, obs_std, obs_clip))
            if rngs is None:
                raw = mean
            else:
                noise = np.stack([rngs[row].standard_normal(mean.shape[1]) for row in rows])
                raw = mean + std * noise
            for position, row in enumerate(rows):
                raw_actions[row].append(raw[position])
            return np.clip(raw, -1.0, 1.0).astype(np.float32)

        _, _, trajectories = rollout_batch(stepper, seeds, act, record=True)
        for row, trajectory in enumerate(trajectories):
            episodes.append((np.asarray(trajectory.observations, dtype=np.float64), np.asarray(raw_actions[row]),
                             trajectory.rewards, bool(trajectory.terminals[-1]),
                             np.asarray(trajectory.final_observation, dtype=np.float64)))
    return episodes


def run_episodes(pool: RolloutPool, layers, log_std, obs_mean, obs_std, obs_clip, env_seeds, noise_seeds=None):
    """Every episode, in env_seeds order, split among the pool's workers."""
    tasks = [(layers, log_std, obs_mean, obs_std, obs_clip, np.asarray(env_seeds[part]),
              None if noise_seeds is None else noise_seeds[part])
             for part in split_evenly(len(env_seeds), pool.workers)]
    return [episode for result in pool.map(_rollout_mlp_batch, tasks) for episode in result]


# --- training --------------------------------------------------------------------------------


@dataclass
class Checkpoint:
    iteration: int
    env_steps: int
    wall_seconds: float
    eval_return: float
    params: dict[str, np.ndarray]
    obs_mean: np.ndarray
    obs_std: np.ndarray
    obs_clip: float


@dataclass
class TrainingRun:
    config: PPOConfig
    seed: int
    checkpoints: list[Checkpoint] = field(default_factory=list)
    # per iteration: the policy (layers, log_std), normaliser and its rollouts' env seeds, returns, lengths
    iteration_params: list[dict[str, np.ndarray]] = field(default_factory=list)
    iteration_obs_mean: list[np.ndarray] = field(default_factory=list)
    iteration_obs_std: list[np.ndarray] = field(default_factory=list)
    iteration_env_seeds: list[np.ndarray] = field(default_factory=list)
    iteration_returns: list[np.ndarray] = field(default_factory=list)
    iteration_lengths: list[np.ndarray] = field(default_factory=list)
    env_steps: int = 0
    wall_seconds: float = 0.0


class RunningMoments:
    """Count, mean and variance of a stream of vectors (parallel-merge form, float64)."""

    def __init__(self, dim):
        self.count, self.mean, self.m2 = 0, np.zeros(dim), np.zeros(dim)

    def update(self, batch):
        batch = np.asarray(batch, dtype=np.float64).reshape(len(batch), -1)
        n = len(batch)
        if n == 0:
            return
        batch_mean = batch.mean(axis=0)
        batch_m2 = np.square(batch - batch_mean).sum(axis=0)
        total = self.count + n
        delta = batch_mean - self.mean
        self.mean = self.mean + delta * n / total
        self.m2 = self.m2 + batch_m2 + np.square(delta) * self.count * n / total
        self.count = total

    @property
    def std(self):
        variance = self.m2 / self.count if self.count else np.ones_like(self.mean)
        # Near-constant features get std 1 (not ~0) so they cannot blow up the policy.
        return np.where(variance > 1e-8, np.sqrt(variance), 1.0)


def episodes_for(steps_per_iteration: int, previous_mean_length: float, workers: int) -> int:
    """Episodes of one iteration: enough for steps_per_iteration at the last mean length, a multiple of workers."""
    count = max(1, math.ceil(steps_per_iteration / max(previous_mean_length, 1.0)))
    return min(-(-count // workers) * workers, 4096)


def advantages_and_returns(rewards, episode_values, bootstrap, gamma, lam):
    """GAE(lambda) of one episode; bootstrap is V(final observation) for a timeout, 0 for a termination."""
    next_values = np.append(episode_values[1:], bootstrap)
    deltas = rewards + gamma * next_values - episode_values
    advantages = np.zeros_like(deltas)
    running = 0.0
    for t in range(len(deltas) - 1, -1, -1):
        running = deltas[t] + gamma * lam * running
        advantages[t] = running
    return advantages, advantages + episode_values


def train(env_name: str, *, seed: int = 0, workers: int = 2, config: PPOConfig | None = None, state_path=None,
          log=print) -> TrainingRun:
    """Run PPO until the evaluation return reaches config.target_return (or config.total_steps).

    `config` defaults to PPO_CONFIGS[env_name]; its env_id says which env trains.

    With `state_path`, the full training state is saved there at every evaluation and a rerun with
    the same env and seed resumes from it (a killed training loses at most `eval_every` iterations).
    """
    import gymnasium

    import envsuite  # noqa: F401

    config = PPO_CONFIGS[env_name] if config is None else config
    probe = gymnasium.make(config.env_id)
    obs_dim, act_dim = probe.observation_space.shape[0], probe.action_space.shape[0]
    probe.close()

    run = TrainingRun(config, seed)
    state = _TrainerState.fresh(config, seed, obs_dim, act_dim)
    if state_path is not None and Path(state_path).exists():
        loaded = _TrainerState.load(state_path, config, seed)
        if loaded is not None:
            run, state = loaded
            log(f"{env_name}: resuming from {state_path} at iteration {state.iteration}")
            if run.checkpoints and run.checkpoints[-1].eval_return >= config.target_return:
                return run

    params, adam = state.params, state.adam
    pool = RolloutPool(config.env_id, workers, ENVS_PER_WORKER)
    started = time.perf_counter() - run.wall_seconds
    try:
        while run.env_steps < config.total_steps:
            iteration = state.iteration
            obs_mean, obs_std = state.obs_stats.mean.copy(), state.obs_stats.std
            count = episodes_for(config.steps_per_iteration, state.previous_mean_length, workers)
            env_seeds = iteration_env_seeds(seed, iteration, count)
            noise_seeds = [episode_noise_seed(seed, iteration, i) for i in range(count)]
            layers = policy_layers(params)
            episodes = run_episodes(pool, layers, params["log_std"], obs_mean, obs_std, config.obs_clip,
                                    env_seeds, noise_seeds)
            lengths = np.array([len(e[2]) for e in episodes])
            run.iteration_params.append({k: v.copy() for k, v in params.items() if k.startswith("pi_") or k == "log_std"})
            run.iteration_obs_mean.append(obs_mean)
            run.iteration_obs_std.append(obs_std)
            run.iteration_env_seeds.append(env_seeds)
            run.iteration_returns.append(np.array([e[2].sum() for e in episodes]))
            run.iteration_lengths.append(lengths)

            _update(params, adam, episodes, obs_mean, obs_std, state, config,
                    learning_rate=config.learning_rate * max(0.0, 1.0 - run.env_steps / config.total_steps),
                    seed=seed, iteration=iteration)
            state.obs_stats.update(np.concatenate([e[0] for e in episodes]))
            state.previous_mean_length = float(lengths.mean())
            state.iteration += 1
            run.env_steps += int(lengths.sum())

            finished = run.env_steps >= config.total_steps
            if state.iteration % config.eval_every == 0 or finished:
                eval_episodes = run_episodes(pool, policy_layers(params), params["log_std"], state.obs_stats.mean,
                                             state.obs_stats.std, config.obs_clip,
                                             EVAL_SEED_BASE + np.arange(config.eval_episodes))
                eval_return = float(np.mean([e[2].sum() for e in eval_episodes]))
                elapsed = time.perf_counter() - started
                checkpoint = Checkpoint(state.iteration, run.env_steps, elapsed, eval_return,
                                        {k: v.copy() for k, v in params.items()},
                                        state.obs_stats.mean.copy(), state.obs_stats.std.copy(), config.obs_clip)
                run.checkpoints.append(checkpoint)
                run.wall_seconds = elapsed
                if state_path is not None:
                    state.save(state_path, run)
                log(f"{env_name} iter {state.iteration:5d}  steps {run.env_steps:10d}  {elapsed:7.1f}s  "
                    f"eval return {eval_return:9.1f}  train return {np.mean(run.iteration_returns[-1]):8.1f}")
                if eval_return >= config.target_return:
                    break
    finally:
        run.wall_seconds = time.perf_counter() - started
        pool.close()
    return run


def _update(params, adam, episodes, obs_mean, obs_std, state, config: PPOConfig, *, learning_rate, seed, iteration):
    """One PPO update on the iteration's episodes (reward scaling, GAE, epochs of minibatch Adam steps)."""
    # Rewards are divided by the running std of the discounted return (gymnasium's NormalizeReward).
    discounted = []
    for _, _, rewards, _, _ in episodes:
        running, per_step = 0.0, np.empty(len(rewards))
        for t, reward in enumerate(rewards):
            running = config.gamma * running + reward
            per_step[t] = running
        discounted.append(per_step)
    state.return_stats.update(np.concatenate(discounted)[:, None])
    reward_scale = 1.0 / math.sqrt(state.return_stats.m2[0] / state.return_stats.count + 1e-8)

    x_parts, action_parts, advantage_parts, return_parts = [], [], [], []
    for observations, raw_actions, rewards, terminated, final_observation in episodes:
        x = normalise_observations(observations, obs_mean, obs_std, config.obs_clip)
        episode_values = values(params, x)
        bootstrap = 0.0 if terminated else float(values(params, normalise_observations(
            final_observation[None], obs_mean, obs_std, config.obs_clip))[0])
        scaled = np.clip(rewards * reward_scale, -config.reward_clip, config.reward_clip)
        advantages, returns = advantages_and_returns(scaled, episode_values, bootstrap, config.gamma, config.gae_lambda)
        x_parts.append(x)
        action_parts.append(raw_actions)
        advantage_parts.append(advantages)
        return_parts.append(returns)
    x, actions = np.concatenate(x_parts), np.concatenate(action_parts)
    advantages, returns = np.concatenate(advantage_parts), np.concatenate(return_parts)
    mean, _ = _forward(params, "pi", x, _relu)
    old_log_prob = gaussian_log_prob(mean, params["log_std"], actions)

    rng = np.random.default_rng([seed, iteration, 3])
    for _ in range(config.epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), config.minibatch):
            rows = order[start : start + config.minibatch]
            if len(rows) < 2:
                continue
            minibatch_advantages = advantages[rows]
            minibatch_advantages = (minibatch_advantages - minibatch_advantages.mean()) / (minibatch_advantages.std() + 1e-8)
            _, _, grads = ppo_loss_and_grads(params, x[rows], actions[rows], old_log_prob[rows],
                                             minibatch_advantages, returns[rows], config)
            norm = math.sqrt(sum(float(np.sum(np.square(g))) for g in grads.values()))
            if norm > config.max_grad_norm:
                grads = {k: g * (config.max_grad_norm / norm) for k, g in grads.items()}
            adam.step(params, grads, learning_rate)


@dataclass
class _TrainerState:
    """What a resumed training needs besides the TrainingRun: parameters, optimiser, normalisers."""

    params: dict[str, np.ndarray]
    adam: Adam
    obs_stats: RunningMoments
    return_stats: RunningMoments
    iteration: int = 0
    previous_mean_length: float = 100.0

    @classmethod
    def fresh(cls, config: PPOConfig, seed: int, obs_dim: int, act_dim: int) -> "_TrainerState":
        params = init_params(np.random.default_rng([seed, 0xC0FFEE]), obs_dim, act_dim, config.hidden)
        return cls(params, Adam(params), RunningMoments(obs_dim), RunningMoments(1))

    def save(self, path, run: TrainingRun) -> None:
        """Everything needed to resume, written atomically (temporary file, then rename)."""
        path = Path(path)
        arrays = {f"param/{k}": v for k, v in self.params.items()}
        arrays.update({f"adam_m/{k}": v for k, v in self.adam.m.items()})
        arrays.update({f"adam_v/{k}": v for k, v in self.adam.v.items()})
        for name, stats in (("obs_stats", self.obs_stats), ("return_stats", self.return_stats)):
            arrays.update({f"{name}/count": np.int64(stats.count), f"{name}/mean": stats.mean, f"{name}/m2": stats.m2})
        arrays.update({f"iteration_params/{k}": np.asarray([p[k] for p in run.iteration_params])
                       for k in run.iteration_params[0]})
        arrays.update({f"checkpoint_params/{k}": np.asarray([c.params[k] for c in run.checkpoints])
                       for k in self.params})
        temporary = path.with_name(path.name + ".tmp")
        with open(temporary, "wb") as f:
            np.savez(
                f, **arrays, config=np.array(json.dumps(asdict(run.config))), seed=np.int64(run.seed),
                adam_t=np.int64(self.adam.t), iteration=np.int64(self.iteration),
                previous_mean_length=np.float64(self.previous_mean_length),
                env_steps=np.int64(run.env_steps), wall_seconds=np.float64(run.wall_seconds),
                iteration_obs_mean=np.asarray(run.iteration_obs_mean), iteration_obs_std=np.asarray(run.iteration_obs_std),
                iteration_episode_counts=np.array([len(s) for s in run.iteration_env_seeds]),
                iteration_env_seeds=np.concatenate(run.iteration_env_seeds),
                iteration_returns=np.concatenate(run.iteration_returns),
                iteration_lengths=np.concatenate(run.iteration_lengths),
                checkpoint_scalars=np.asarray([[c.iteration, c.env_steps, c.wall_seconds, c.eval_return] for c in run.checkpoints]),
                checkpoint_obs_mean=np.asarray([c.obs_mean for c in run.checkpoints]),
                checkpoint_obs_std=np.asarray([c.obs_std for c in run.checkpoints]),
            )
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)

    @classmethod
    def load(cls, path, config: PPOConfig, seed: int):
        with np.load(path, allow_pickle=False) as data:
            if json.loads(str(data["config"])) != json.loads(json.dumps(asdict(config))) or int(data["seed"]) != seed:
                return None  # another configuration: start afresh
            def group(prefix):
                return {k.split("/", 1)[1]: data[k] for k in data.files if k.startswith(prefix + "/")}
            params = group("param")
            adam = Adam(params)
            adam.m, adam.v, adam.t = group("adam_m"), group("adam_v"), int(data["adam_t"])
            moments = []
            for name in ("obs_stats", "return_stats"):
                stats = RunningMoments(len(data[f"{name}/mean"]))
                stats.count, stats.mean, stats.m2 = int(data[f"{name}/count"]), data[f"{name}/mean"], data[f"{name}/m2"]
                moments.append(stats)
            state = cls(params, adam, moments[0], moments[1], int(data["iteration"]), float(data["previous_mean_length"]))
            run = TrainingRun(config, seed)
            run.env_steps, run.wall_seconds = int(data["env_steps"]), float(data["wall_seconds"])
            iteration_params = group("iteration_params")
            run.iteration_params = [{k: v[i] for k, v in iteration_params.items()} for i in range(state.iteration)]
            run.iteration_obs_mean = list(data["iteration_obs_mean"])
            run.iteration_obs_std = list(data["iteration_obs_std"])
            bounds = np.cumsum(np.concatenate([[0], data["iteration_episode_counts"]]))
            for name in ("env_seeds", "returns", "lengths"):
                flat = data[f"iteration_{name}"]
                setattr(run, f"iteration_{name}", [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])])
            checkpoint_params = group("checkpoint_params")
            for i, scalars in enumerate(data["checkpoint_scalars"]):
                run.checkpoints.append(Checkpoint(int(scalars[0]), int(scalars[1]), float(scalars[2]), float(scalars[3]),
                                                  {k: v[i] for k, v in checkpoint_params.items()},
                                                  data["checkpoint_obs_mean"][i], data["checkpoint_obs_std"][i],
                                                  config.obs_clip))
        return run, state


# --- outputs: policies, the training record and its replay -------------------------------------


def to_policy(params, obs_mean, obs_std, obs_clip: float, *, name: str, metadata=None, noise_seed=None) -> MLPPolicy:
    act_dim = len(params["log_std"])
    return MLPPolicy(policy_layers(params), obs_mean, obs_std, -np.ones(act_dim), np.ones(act_dim),
                     obs_clip=obs_clip, log_std=params["log_std"], noise_seed=noise_seed, name=name,
                     metadata=metadata)


def checkpoint_policy(checkpoint: Checkpoint, env_name: str, kind: str, metadata: dict) -> MLPPolicy:
    """The deterministic (mean-action) policy of a checkpoint: what the expert and medium files hold."""
    return to_policy(checkpoint.params, checkpoint.obs_mean, checkpoint.obs_std, checkpoint.obs_clip,
                     name=f"{env_name}-{kind}", metadata=metadata)


def save_training_record(run: TrainingRun, medium: Checkpoint, path: Path) -> Path:
    """Iterations 0 .. medium.iteration - 1: enough to replay every training rollout up to medium."""
    count = medium.iteration
    arrays = {f"policy/{k}": np.asarray([p[k] for p in run.iteration_params[:count]]) for k in run.iteration_params[0]}
    np.savez_compressed(
        path, **arrays,
        algorithm=np.array("ppo"),
        obs_mean=np.asarray(run.iteration_obs_mean[:count]),
        obs_std=np.asarray(run.iteration_obs_std[:count]),
        episode_counts=np.array([len(s) for s in run.iteration_env_seeds[:count]]),
        env_seeds=np.concatenate(run.iteration_env_seeds[:count]),
        returns=np.concatenate(run.iteration_returns[:count]),
        lengths=np.concatenate(run.iteration_lengths[:count]),
        seed=np.int64(run.seed),
        config=np.array(json.dumps(asdict(run.config))),
    )
    return path


def record_rollout_lengths(record_path) -> np.ndarray:
    """Length in steps of every training rollout of a record, in training order."""
    with np.load(record_path, allow_pickle=False) as record:
        return record["lengths"].astype(np.int64)


def replay_policies(record_path) -> list[tuple[int, int, MLPPolicy, int]]:
    """Every training rollout of a PPO record as (iteration, episode, policy, env seed), in training order.

    Each policy is the iteration's Gaussian policy with that rollout's own noise seed, so rolling it
    out from a reset with the env seed reproduces the training rollout exactly.
    """
    with np.load(record_path, allow_pickle=False) as record:
        if str(record["algorithm"]) != "ppo":
            raise ValueError(f"{record_path} is not a PPO training record")
        obs_clip = float(json.loads(str(record["config"]))["obs_clip"])
        policy_arrays = {k.split("/", 1)[1]: record[k] for k in record.files if k.startswith("policy/")}
        obs_mean, obs_std = record["obs_mean"], record["obs_std"]
        counts, env_seeds, seed = record["episode_counts"], record["env_seeds"], int(record["seed"])
    rollouts, position = [], 0
    for iteration, count in enumerate(counts):
        params = {k: v[iteration] for k, v in policy_arrays.items()}
        for episode in range(int(count)):
            policy = to_policy(params, obs_mean[iteration], obs_std[iteration], obs_clip,
                               name=f"ppo-iter{iteration}-{episode}",
                               noise_seed=episode_noise_seed(seed, iteration, episode))
            rollouts.append((iteration, episode, policy, int(env_seeds[position])))
            position += 1
    return rollouts


def evaluate_policy(policy: MLPPolicy, env_id: str, episodes: int = 100, workers: int = 2,
                    seed_base: int = EVAL_SEED_BASE):
    """Returns and lengths of the deterministic policy over `episodes` seeded episodes (seeds seed_base + i)."""
    with RolloutPool(env_id, workers, ENVS_PER_WORKER) as pool:
        results = run_episodes(pool, policy.layers, np.zeros(policy.layers[-1][0].shape[0]), policy.obs_mean,
                               policy.obs_std, policy.obs_clip, seed_base + np.arange(episodes))
    return np.array([e[2].sum() for e in results]), np.array([len(e[2]) for e in results])
