"""Batched locomotion physics: many MjData of one model stepped per call, results for the batch.

Where it sits: the locomotion family's fast path. `LocomotionBatch` is the core (used by the ARS
trainer and rollouts); `BatchedLocomotionVectorEnv` puts gymnasium's vector-env API on top
(`gymnasium.make_vec("envsuite/Hopper-v0", num_envs=B, vectorization_mode="vector_entry_point")`).

It reproduces gymnasium's v5 Hopper, HalfCheetah, Walker2d and Ant bit for bit (tests/locomotion/
test_batched.py runs both side by side), which constrains how things are computed:
- physics: per env `data.ctrl[:] = action` (float32 widened exactly, unclipped: MuJoCo clamps),
  `mj_step(nstep=frame_skip)`, then `mj_rnePostConstraint` (Ant's contact forces need it);
- x velocity is `(after - before) / dt` with dt the Python float `timestep * frame_skip`
  (multiplying by 1/dt rounds differently); Ant measures the torso's `xpos`, not `qpos`;
- the control cost is `weight * sum(square(action))` in the action's own dtype (float32 actions give
  a float32 cost under NumPy 2 promotion), summed row-wise over C-contiguous arrays, which numpy
  reduces exactly like the per-env 1-D sum; rewards add as `(forward + healthy) - costs`;
- resets draw from one `np.random.Generator` per env, seeded like gymnasium's `reset(seed=s)`,
  with the same calls in the same order (uniform qpos noise, then uniform or normal qvel noise).
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np
from gymnasium import spaces
from gymnasium.envs.mujoco.mujoco_env import expand_model_path
from gymnasium.utils import seeding
from gymnasium.vector import VectorEnv
from gymnasium.vector.utils import batch_space

try:
    from gymnasium.vector import AutoresetMode
except ImportError:  # gymnasium 1.0 (d3rlpy 2.8's pin): next-step autoreset is its only mode, with no name
    AutoresetMode = None

from envsuite.common import validate_box_action
from envsuite.locomotion._mujoco_warnings import gymnasium_model_loading


@dataclass(frozen=True)
class LocomotionSpec:
    """What distinguishes the four envs (gymnasium v5 defaults)."""

    xml_file: str
    frame_skip: int
    forward_reward_weight: float
    ctrl_cost_weight: float
    healthy_reward: float | None  # None: no alive bonus and no termination (HalfCheetah)
    reset_noise_scale: float
    qvel_noise: str  # "uniform" (Hopper, Walker2d) or "normal" (HalfCheetah, Ant)
    qpos_skipped: int  # leading qpos entries left out of the observation (x, or x and y)
    clip_qvel: bool  # observation clips qvel to [-10, 10] (Hopper, Walker2d)
    contact_cost_weight: float = 0.0  # Ant only


SPECS = {
    "hopper": LocomotionSpec("hopper.xml", 4, 1.0, 1e-3, 1.0, 5e-3, "uniform", 1, True),
    "walker2d": LocomotionSpec("walker2d_v5.xml", 4, 1.0, 1e-3, 1.0, 5e-3, "uniform", 1, True),
    "halfcheetah": LocomotionSpec("half_cheetah.xml", 5, 1.0, 0.1, None, 0.1, "normal", 1, False),
    # gymnasium's Ant forward weight is the int 1; keep it so products round identically.
    "ant": LocomotionSpec("ant.xml", 5, 1, 0.5, 1.0, 0.1, "normal", 2, False, contact_cost_weight=5e-4),
}

ENV_IDS = {"hopper": "envsuite/Hopper-v0", "walker2d": "envsuite/Walker2d-v0",
           "halfcheetah": "envsuite/HalfCheetah-v0", "ant": "envsuite/Ant-v0"}


def engine_name(env_id: str) -> str | None:
    """The batched engine's name for a plain locomotion env id ("envsuite/Hopper-v0" -> "hopper"), else None."""
    return {value: key for key, value in ENV_IDS.items()}.get(env_id)


class LocomotionBatch:
    """`num_envs` simulations of one locomotion env; reset and step any subset of them by index."""

    def __init__(self, name: str, num_envs: int):
        if name not in SPECS:
            raise ValueError(f"unknown locomotion env {name!r}; choose from {', '.join(SPECS)}")
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        self.name, self.spec, self.num_envs = name, SPECS[name], num_envs
        with gymnasium_model_loading():
            self.model = mujoco.MjModel.from_xml_path(expand_model_path(self.spec.xml_file))
        self.datas = [mujoco.MjData(self.model) for _ in range(num_envs)]
        self.init_qpos = self.datas[0].qpos.copy()
        self.init_qvel = self.datas[0].qvel.copy()
        # numpy views into each MjData's buffers, made once: the bindings build a new view object on
        # every attribute access, which was a visible share of the per-step Python time.
        self._views = {field: [getattr(data, field) for data in self.datas]
                       for field in ("qpos", "qvel", "ctrl", "xpos", "cfrc_ext")}
        self.dt = self.model.opt.timestep * self.spec.frame_skip  # a Python float, as MujocoEnv.dt
        self.rngs: list[np.random.Generator | None] = [None] * num_envs
        self.action_space = spaces.Box(self.model.actuator_ctrlrange[:, 0].astype(np.float32),
                                       self.model.actuator_ctrlrange[:, 1].astype(np.float32), dtype=np.float32)
        obs_dim = self.model.nq - self.spec.qpos_skipped + self.model.nv
        if name == "ant":
            obs_dim += (self.model.nbody - 1) * 6
        self.observation_space = spaces.Box(-np.inf, np.inf, (obs_dim,), np.float64)

    # --- reset ---------------------------------------------------------------------------------

    def reset(self, ids, seeds=None) -> np.ndarray:
        """Reset envs `ids`; `seeds[j]` reseeds env ids[j] (None continues its random stream)."""
        ids = np.asarray(ids, dtype=np.int64)
        spec, model = self.spec, self.model
        for j, env in enumerate(ids):
            seed = None if seeds is None else seeds[j]
            if seed is not None or self.rngs[env] is None:
                self.rngs[env], _ = seeding.np_random(None if seed is None else int(seed))
            rng = self.rngs[env]
            low, high = -spec.reset_noise_scale, spec.reset_noise_scale
            qpos = self.init_qpos + rng.uniform(low=low, high=high, size=model.nq)
            if spec.qvel_noise == "uniform":
                qvel = self.init_qvel + rng.uniform(low=low, high=high, size=model.nv)
            else:
                qvel = self.init_qvel + spec.reset_noise_scale * rng.standard_normal(model.nv)
            data = self.datas[env]
            mujoco.mj_resetData(model, data)
            data.qpos[:] = qpos
            data.qvel[:] = qvel
            mujoco.mj_forward(model, data)
        return self._observations(ids)

    # --- step ----------------------------------------------------------------------------------

    def step(self, ids, actions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Step envs `ids` with `actions` (one row each); returns observations, rewards, terminated."""
        ids = np.asarray(ids, dtype=np.int64)
        spec, model = self.spec, self.model
        before = self._x_positions(ids)
        ctrl_views, frame_skip = self._views["ctrl"], spec.frame_skip
        for row, env in enumerate(ids.tolist()):
            data = self.datas[env]
            ctrl_views[env][:] = actions[row]
            mujoco.mj_step(model, data, nstep=frame_skip)
            mujoco.mj_rnePostConstraint(model, data)
        # Each field is stacked once per step and shared by reward, health check and observation.
        qpos, qvel = self._stack(ids, "qpos"), self._stack(ids, "qvel")
        after = self._x_positions(ids) if self.name == "ant" else qpos[:, 0]
        x_velocity = (after - before) / self.dt
        forward_reward = spec.forward_reward_weight * x_velocity
        ctrl_cost = spec.ctrl_cost_weight * np.sum(np.square(actions), axis=1)
        if spec.healthy_reward is None:
            reward = forward_reward - ctrl_cost
            terminated = np.zeros(len(ids), dtype=bool)
        else:
            healthy = self._healthy(qpos, qvel)
            rewards = forward_reward + healthy * spec.healthy_reward
            if spec.contact_cost_weight:
                contact = np.clip(self._stack(ids, "cfrc_ext"), -1.0, 1.0).reshape(len(ids), -1)
                costs = ctrl_cost + spec.contact_cost_weight * np.sum(np.square(contact), axis=1)
            else:
                costs = ctrl_cost
            reward = rewards - costs
            terminated = ~healthy
        return self._observations(ids, qpos, qvel), np.asarray(reward, dtype=np.float64), terminated

    # --- batch views ---------------------------------------------------------------------------

    def _stack(self, ids, field: str) -> np.ndarray:
        views = self._views[field]
        return np.stack([views[env] for env in ids])

    def _x_positions(self, ids) -> np.ndarray:
        if self.name == "ant":  # gymnasium's Ant measures the torso body's position
            views = self._views["xpos"]
            return np.array([views[env][1, 0] for env in ids])
        views = self._views["qpos"]
        return np.array([views[env][0] for env in ids])

    def _healthy(self, qpos, qvel) -> np.ndarray:
        if self.name == "hopper":
            state = np.concatenate([qpos, qvel], axis=1)[:, 2:]
            z, angle = qpos[:, 1], qpos[:, 2]
            return (np.all((-100.0 < state) & (state < 100.0), axis=1) & (0.7 < z) & (z < np.inf)
                    & (-0.2 < angle) & (angle < 0.2))
        if self.name == "walker2d":
            z, angle = qpos[:, 1], qpos[:, 2]
            return (0.8 < z) & (z < 2.0) & (-1.0 < angle) & (angle < 1.0)
        if self.name == "ant":
            state = np.concatenate([qpos, qvel], axis=1)
            return np.isfinite(state).all(axis=1) & (0.2 <= state[:, 2]) & (state[:, 2] <= 1.0)
        raise AssertionError(f"{self.name} has no health check")

    def _observations(self, ids, qpos=None, qvel=None) -> np.ndarray:
        if qpos is None:
            qpos, qvel = self._stack(ids, "qpos"), self._stack(ids, "qvel")
        if self.spec.clip_qvel:
            qvel = np.clip(qvel, -10, 10)
        parts = [qpos[:, self.spec.qpos_skipped :], qvel]
        if self.name == "ant":
            contact = np.clip(self._stack(ids, "cfrc_ext"), -1.0, 1.0)
            parts.append(contact[:, 1:].reshape(len(ids), -1))
        return np.concatenate(parts, axis=1)


class LocomotionStepper:
    """The rollout stepper protocol (envsuite.policies.rollout) on a LocomotionBatch, with the
    1000-step time limit that gymnasium.make adds, so rollouts equal those of gymnasium envs."""

    def __init__(self, name: str, num_envs: int, max_episode_steps: int = 1000):
        self.batch = LocomotionBatch(name, num_envs)
        self.num_envs = num_envs
        self.action_space = self.batch.action_space
        self.max_episode_steps = max_episode_steps
        self.elapsed = np.zeros(num_envs, dtype=np.int64)

    def reset(self, ids, seeds):
        self.elapsed[np.asarray(ids)] = 0
        return self.batch.reset(ids, seeds)

    def step(self, ids, actions):
        ids = np.asarray(ids)
        observations, rewards, terminated = self.batch.step(ids, np.ascontiguousarray(actions))
        self.elapsed[ids] += 1
        return observations, rewards, terminated, self.elapsed[ids] >= self.max_episode_steps


class BatchedLocomotionVectorEnv(VectorEnv):
    """gymnasium vector env over a `LocomotionBatch`, with gymnasium's NEXT_STEP autoreset.

    | | |
    |---|---|
    | Observation / action spaces | the single env's, batched (`single_observation_space`, `single_action_space`) |
    | Reset | `reset(seed=s)` seeds env i with s + i (an int) or seeds[i] (a list), as SyncVectorEnv |
    | Step | rewards, terminated as the single env; truncated after `max_episode_steps` (1000) |
    | Autoreset | NEXT_STEP: the step after an episode ends returns the reset observation, reward 0 |
    | Bad actions | wrong shape/dtype or NaN/inf: ValueError naming the env and the space. Huge finite actions cost what they cost in the single env and in gymnasium's v5 env: -inf reward for float32 actions beyond about 1.8e19 (their float32 squares overflow) |
    """

    # gymnasium >= 1.1 reads the mode from the metadata; 1.0 has only this one
    metadata = {"render_modes": [], **({"autoreset_mode": AutoresetMode.NEXT_STEP} if AutoresetMode else {})}

    def __init__(self, name: str, num_envs: int = 1, max_episode_steps: int = 1000, **kwargs):
        if kwargs:
            raise TypeError(f"BatchedLocomotionVectorEnv takes no env arguments besides the defaults, got {sorted(kwargs)}")
        self.batch = LocomotionBatch(name, num_envs)
        self.env_name = ENV_IDS[name]
        self.num_envs = num_envs
        self.max_episode_steps = max_episode_steps
        self.single_observation_space = self.batch.observation_space
        self.single_action_space = self.batch.action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._all = np.arange(num_envs)
        self._elapsed = np.zeros(num_envs, dtype=np.int64)
        self._needs_reset = np.zeros(num_envs, dtype=bool)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        if seed is None:
            seeds = [None] * self.num_envs
        elif isinstance(seed, (int, np.integer)):
            seeds = [int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"{self.env_name}: {len(seeds)} seeds for {self.num_envs} envs")
        observations = self.batch.reset(self._all, seeds)
        self._elapsed[:] = 0
        self._needs_reset[:] = False
        return observations, {}

    def step(self, actions):
        actions = validate_box_action(f"{self.env_name} (batched)", self.action_space, actions)
        stepping = np.flatnonzero(~self._needs_reset)
        resetting = np.flatnonzero(self._needs_reset)
        observations = np.zeros((self.num_envs, *self.single_observation_space.shape))
        rewards = np.zeros(self.num_envs)
        terminated = np.zeros(self.num_envs, dtype=bool)
        if len(stepping):
            # index rows in one go so the row reductions see C-contiguous arrays, as numpy's per-env sums do
            obs, reward, term = self.batch.step(stepping, np.ascontiguousarray(actions[stepping]))
            observations[stepping], rewards[stepping], terminated[stepping] = obs, reward, term
            self._elapsed[stepping] += 1
        truncated = np.zeros(self.num_envs, dtype=bool)
        truncated[stepping] = self._elapsed[stepping] >= self.max_episode_steps
        if len(resetting):
            observations[resetting] = self.batch.reset(resetting)
            self._elapsed[resetting] = 0
        self._needs_reset = terminated | truncated
        return observations, rewards, terminated, truncated, {}
