"""The tracking expert: sampling-based model-predictive control (MPPI) on `mujoco.rollout`.

Where it sits: the MoCap family's behaviour policy (envsuite/mocap/), used by the MoCap datasets
(datagen/mocap.py) the way MoCapAct uses its per-snippet PPO experts. It needs no training and no
weights: at every control step it plans on the env's own model from the env's exact physics state.

The controller is "reference pose + stiffness feedback + planned correction":

    action(t) = clip(pose_to_actuation(q_ref(t + 1)) + feedback_gain * (q_ref(t + 1) - q(t)) [in control
                     units] + correction(t), -1, 1)

Each control step:
1. `samples` corrections over a horizon of H control steps are drawn: the previous step's plan,
   shifted by one step and scaled by `correction_decay` (1, the default, keeps it whole; below 1 it
   is pulled back towards the reference pose + feedback, which tracked worse on 02_01 and
   charleston1), plus Gaussian noise (`noise_std`, held for `knot_steps` control steps, on the leg
   and trunk actuators only: balance is kept with them, and noise on the arms only wastes
   samples); sample 0 is the previous plan unperturbed.
2. Every sample is rolled out closed-loop (the feedback term uses the rolled-out joints) with
   `mujoco.rollout`, one control step per call, on `threads` threads.
3. Each rollout is scored with the task's own termination error and comic reward at every control
   step of the horizon (forward kinematics on the rolled-out qpos); a rollout that would terminate
   loses `failure_penalty` and scores nothing after.
4. Rescue: if even the best rollout fails within the horizon, up to `rescue_rounds` more rounds of
   samples are drawn around the best one, with 1.5x, 2.25x the noise; the best round is kept.
5. MPPI: the plan is the softmax(beta * normalised score)-weighted mean of the samples (beta = 100
   keeps it close to the best sample); the executed action is the same mean of their first controls.

The planner's randomness comes from the `rng` given to `act`, so an episode is reproducible from its
seed. Its cost is samples x 6 H physics steps per control step and round (defaults: 16 x 156 = 2,496,
against 6 for the env step itself); README and benchmarks/RESULTS.md give the measured time per step and the
normalized episode length per clip.
"""

from __future__ import annotations

import mujoco
import numpy as np
from mujoco import rollout

from envsuite.mocap import kernels
from envsuite.mocap.observables import observable_slices


def pose_to_actuation(model, indices, joints_in_mocap_order: np.ndarray) -> np.ndarray:
    """Controls (..., 56) in [-1, 1] that make the position actuators target these joint angles.

    dm_control's CMUHumanoidPositionControlled.cmu_pose_to_actuation: the actuator's joint range is
    mapped onto the control range [-1, 1].
    """
    joint = model.actuator_trnid[:, 0]
    low, high = model.jnt_range[joint, 0], model.jnt_range[joint, 1]
    target = np.asarray(joints_in_mocap_order)[..., indices.mocap_to_observable]
    return (2.0 * target - (high + low)) / (high - low)


def reference_pose_prior(env, feedback_gain: float) -> dict[str, np.ndarray]:
    """The planner's action without correction, pose_to_actuation(q_ref(t + 1)) + feedback_gain x
    (q_ref(t + 1) - q(t)) in control units, as a linear function of the env's flat observation:

        prior(obs)[a] = offset[a] + coefficients[0, a] * obs[columns[0, a]] + coefficients[1, a] * obs[columns[1, a]]

    columns[0] are the observation's `walker/joints_pos` (q in actuator order), columns[1] its first
    `walker/reference_rel_joints` step (q_ref(t + 1) - q). The multi-clip policy learns only what the
    planner adds to it (envsuite/mocap/multiclip.py), so the part that is the same for every clip is not
    learned again per clip. Needs ref_steps to start at 1 (the next reference step, as the planner aims).
    """
    if int(env.ref_steps[0]) != 1:
        raise ValueError(f"the reference-pose prior needs the env's ref_steps to start at 1, got {list(env.ref_steps)}")
    joint = env.model.actuator_trnid[:, 0]
    low, high = env.model.jnt_range[joint, 0], env.model.jnt_range[joint, 1]
    scale = 2.0 / (high - low)
    slices = observable_slices(len(env.ref_steps))
    joints_pos, rel_joints = slices["walker/joints_pos"].start, slices["walker/reference_rel_joints"].start
    nu = env.model.nu
    columns = np.stack([joints_pos + np.arange(nu), rel_joints + np.arange(nu)]).astype(np.int64)
    coefficients = np.stack([scale, scale * (1.0 + float(feedback_gain))])
    return {"columns": columns, "coefficients": coefficients, "offset": -(high + low) / (high - low)}


# Which actuators the planner perturbs: balance is kept with the legs and the trunk.
PERTURBED_ACTUATORS = {
    "all": None,
    "legs-and-trunk": ("femur", "tibia", "foot", "toes", "lowerback", "upperback", "thorax"),
}


class TrackingMPC:
    """MPPI around the reference pose, planning with the env's own model and reward."""

    name = "tracking_mpc"

    def __init__(self, horizon: int = 26, samples: int = 16, noise_std: float = 0.2, knot_steps: int = 4,
                 beta: float = 100.0, failure_penalty: float = 5.0, feedback_gain: float = 4.0,
                 perturbed: str = "legs-and-trunk", rescue_rounds: int = 2, threads: int = 2, replan_every: int = 1,
                 plan_substeps: int | None = None, plan_noslip_iterations: int | None = None,
                 refine_every: int = 1, correction_decay: float = 1.0):
        if horizon < 1 or samples < 2 or knot_steps < 1 or threads < 1 or not 1 <= replan_every <= horizon:
            raise ValueError("TrackingMPC needs horizon >= 1, samples >= 2, knot_steps >= 1, threads >= 1 and "
                             f"1 <= replan_every <= horizon, got horizon {horizon}, replan_every {replan_every}")
        self.replan_every = int(replan_every)
        if refine_every < 1:
            raise ValueError(f"refine_every must be >= 1, got {refine_every}")
        self.refine_every = int(refine_every)
        if not 0.0 < correction_decay <= 1.0:
            raise ValueError(f"correction_decay must be in (0, 1], got {correction_decay}")
        self.correction_decay = float(correction_decay)
        if plan_substeps is not None and plan_substeps < 1:
            raise ValueError(f"plan_substeps must be >= 1 or None (the env's), got {plan_substeps}")
        self.plan_substeps = plan_substeps
        self.plan_noslip_iterations = plan_noslip_iterations
        self.horizon, self.samples, self.noise_std, self.knot_steps = int(horizon), int(samples), float(noise_std), int(knot_steps)
        self.beta, self.failure_penalty, self.threads = float(beta), float(failure_penalty), int(threads)
        self.feedback_gain = float(feedback_gain)
        if perturbed not in PERTURBED_ACTUATORS:
            raise ValueError(f"perturbed must be one of {sorted(PERTURBED_ACTUATORS)}, got {perturbed!r}")
        self.perturbed = perturbed
        self.rescue_rounds = int(rescue_rounds)
        self._model = None
        self._correction = None
        self._plan = None

    @property
    def info(self) -> dict:
        return {"kind": "mppi", "horizon": self.horizon, "samples": self.samples, "noise_std": self.noise_std,
                "knot_steps": self.knot_steps, "beta": self.beta, "failure_penalty": self.failure_penalty,
                "feedback_gain": self.feedback_gain, "perturbed": self.perturbed, "rescue_rounds": self.rescue_rounds,
                "replan_every": self.replan_every, "plan_substeps": self.plan_substeps,
                "plan_noslip_iterations": self.plan_noslip_iterations, "refine_every": self.refine_every,
                "correction_decay": self.correction_decay}

    def _bind(self, env):
        if self._model is env.model:
            return
        self._model = env.model
        self._indices = env.indices
        # The planning model: the env's, or a coarser copy (fewer, longer physics steps per control step;
        # fewer noslip iterations): cheaper rollouts, and the plan is made again from the true state.
        self._plan_model, self._substeps = env.model, env.n_substeps
        if self.plan_substeps is not None or self.plan_noslip_iterations is not None:
            import copy

            self._plan_model = copy.deepcopy(env.model)
            if self.plan_substeps is not None:
                self._substeps = int(self.plan_substeps)
                self._plan_model.opt.timestep = env.model.opt.timestep * env.n_substeps / self._substeps
            if self.plan_noslip_iterations is not None:
                self._plan_model.opt.noslip_iterations = int(self.plan_noslip_iterations)
        self._rollout_data = [mujoco.MjData(self._plan_model) for _ in range(self.threads)]
        self._scratch = mujoco.MjData(env.model)
        self._state_size = mujoco.mj_stateSize(env.model, mujoco.mjtState.mjSTATE_FULLPHYSICS)
        names = PERTURBED_ACTUATORS[self.perturbed]
        self._noise_mask = np.array([names is None or any(part in name for part in names)
                                     for name in env.indices.actuator_names], dtype=np.float64)
        joint = env.model.actuator_trnid[:, 0]
        self._control_per_radian = 2.0 / (env.model.jnt_range[joint, 1] - env.model.jnt_range[joint, 0])

    def reset(self):
        """Forget the previous correction and plan (call at every episode start)."""
        self._correction = None
        self._plan = None

    def act(self, env, rng: np.random.Generator) -> np.ndarray:
        """The action (56,) for the env's current state (env: an unwrapped CMUHumanoidTrackingEnv)."""
        self._bind(env)
        model, ix = env.model, env.indices
        reference, t = env.reference, env.time_index
        joints = reference.features["joints"]
        if self._plan is not None:
            plan_t, nominal, correction, targets = self._plan
            age = t - plan_t
            if 0 < age < self.replan_every:
                # Between replans: the planned correction of this step, the feedback on the joints as
                # they are (the rollout's own closed loop, so an undisturbed episode follows the plan).
                joints_now = env.data.qpos[ix.mocap_qpos]
                return np.clip(nominal[age] + correction[age] + self._feedback(targets[age], joints_now), -1.0, 1.0)
        last = len(joints) - 1
        steps = np.minimum(t + 1 + np.arange(self.horizon), last)  # reference step each planned action aims at
        nominal = pose_to_actuation(model, ix, joints[steps])  # (H, nu)
        if self._correction is None:
            self._correction = np.zeros_like(nominal)
        state = np.empty(self._state_size)
        mujoco.mj_getState(model, env.data, state, mujoco.mjtState.mjSTATE_FULLPHYSICS)

        if self.refine_every > 1 and self._plan is not None and t - self._plan[0] < self.refine_every:
            # Between refinements: only check the warm-started plan with one rollout; it runs if the
            # humanoid survives the horizon with it, else the samples are drawn now (a fall coming).
            first, control_states = self._rollouts(env, state, nominal, self._correction[None], joints[steps])
            _, failed = self._score(env, control_states, t)
            if not failed[0]:
                correction = self._correction
                self._correction = self.correction_decay * np.concatenate([correction[1:], correction[-1:]], axis=0)
                return np.clip(first[0], -1.0, 1.0)

        centre, best = self._correction, None
        for round_index in range(1 + self.rescue_rounds):
            # Rescue rounds: when even the best rollout fails within the horizon, search again around
            # it with wider noise (compute goes where the humanoid is about to fall).
            knots = -(-self.horizon // self.knot_steps)
            noise = self.noise_std * 1.5**round_index * rng.standard_normal((self.samples, knots, model.nu))
            noise = np.repeat(noise, self.knot_steps, axis=1)[:, : self.horizon] * self._noise_mask
            noise[0] = 0.0
            corrections = centre[None] + noise  # (K, H, nu)
            first, control_states = self._rollouts(env, state, nominal, corrections, joints[steps])
            scores, failed = self._score(env, control_states, t)
            if best is None or scores.max() > best[0].max():
                best = (scores, corrections, first)
            winner = int(np.argmax(best[0]))
            if not failed[int(np.argmax(scores))]:
                break
            centre = best[1][winner]
        scores, corrections, first = best
        spread = scores.max() - scores.min()
        weights = np.exp(self.beta * (scores - scores.max()) / (spread + 1e-9))
        weights /= weights.sum()
        if self.replan_every == 1:
            correction = np.tensordot(weights, corrections, axes=1)  # (H, nu)
            # The executed action: the weighted first controls (every sample starts from the env's state).
            action = np.clip(np.tensordot(weights, first, axes=1), -1.0, 1.0)
        else:
            # A plan run for several steps is the best rollout itself: the env then follows the
            # trajectory that was scored (a weighted mean of plans was never simulated and drifts).
            winner = int(np.argmax(scores))
            correction, action = corrections[winner], np.clip(first[winner], -1.0, 1.0)
        # Warm start: the rest of the plan after the replan_every steps it runs, repeating its last step.
        k = self.replan_every
        self._correction = self.correction_decay * np.concatenate([correction[k:], np.repeat(correction[-1:], k, axis=0)],
                                                                  axis=0)
        self._plan = (t, nominal, correction, joints[steps])
        return action

    def _rollouts(self, env, state, nominal, corrections, target_joints):
        """Closed-loop rollouts of every correction plan from `state`: (first controls (K, nu), states at the
        end of each control step (K, H, nstate))."""
        model, ix = env.model, env.indices
        samples = corrections.shape[0]
        states = np.repeat(state[None], samples, axis=0)
        control_states = np.empty((samples, self.horizon, self._state_size))
        qpos_at = 1 + ix.mocap_qpos  # FULLPHYSICS state: time, qpos, qvel, act, ...
        first = None
        warmstart = env.data.qacc_warmstart[None].copy()
        for h in range(self.horizon):
            controls = np.clip(nominal[h] + corrections[:, h] + self._feedback(target_joints[h], states[:, qpos_at]),
                               -1.0, 1.0)
            if h == 0:
                first = controls
            trajectory, _ = rollout.rollout(self._plan_model, self._rollout_data, states,
                                            np.repeat(controls[:, None], self._substeps, axis=1),
                                            initial_warmstart=warmstart)
            states = trajectory[:, -1]
            control_states[:, h] = states
            warmstart = None  # later chunks start from rolled-out states, whose warm start is not kept
        return first, control_states

    def _feedback(self, target_joints: np.ndarray, joints: np.ndarray) -> np.ndarray:
        """Extra stiffness: feedback_gain x the joint error, in control units (actuator order)."""
        if self.feedback_gain == 0.0:
            return 0.0
        return self.feedback_gain * (target_joints - joints)[..., self._indices.mocap_to_observable] * self._control_per_radian

    def _score(self, env, states: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
        """(summed comic reward, failed within the horizon) of each rollout; states (K, H, nstate) at the
        control steps."""
        model, ix, scratch = env.model, env.indices, self._scratch
        features = env.reference.features
        last = env.last_time_index
        threshold = env.termination_error_threshold
        nq, nv = model.nq, model.nv
        scores = np.zeros(states.shape[0])
        failed = np.zeros(states.shape[0], dtype=bool)
        for k in range(states.shape[0]):
            for h in range(states.shape[1]):
                step = t + 1 + h
                if step > last:
                    break
                scratch.qpos[:] = states[k, h, 1:1 + nq]
                scratch.qvel[:] = states[k, h, 1 + nq:1 + nq + nv]
                mujoco.mj_kinematics(model, scratch)
                mujoco.mj_comPos(model, scratch)
                body_positions = scratch.xpos[ix.tracking_bodies]
                joints = scratch.qpos[ix.mocap_qpos]
                error = kernels.termination_error(features["joints"][step], joints,
                                                  features["body_positions"][step], body_positions)
                if error > threshold:
                    scores[k] -= self.failure_penalty
                    failed[k] = True
                    break
                root = scratch.xpos[ix.root_body]
                appendages = (scratch.xpos[ix.appendage_bodies] - root) @ scratch.xmat[ix.root_body].reshape(3, 3)
                scores[k] += kernels.comic_reward(
                    error, threshold, scratch.subtree_com[ix.com_body], features["center_of_mass"][step],
                    scratch.qvel[ix.mocap_dof], features["joints_velocity"][step], appendages,
                    features["appendages"][step], scratch.xquat[ix.tracking_bodies], features["body_quaternions"][step])
        return scores, failed


def run_episode(env, behaviour, rng: np.random.Generator, *, action_noise: float = 0.0,
                labeller: TrackingMPC | None = None, labeller_rng: np.random.Generator | None = None,
                seed: int | None = None, options: dict | None = None, progress=None) -> dict:
    """One episode of `behaviour` on the (unwrapped) tracking env, MoCapAct-style.

    `behaviour` is the tracking expert (a TrackingMPC, which plans from the env's state) or a policy
    in the batched protocol (envsuite.policies.base, e.g. the multi-clip policy, which acts on the
    observation). The executed action is clip(mean action + action_noise * N(0, 1), -1, 1), as
    MoCapAct rolls out its experts with `act_noise`; both are recorded. A `labeller` (the expert)
    plans alongside at every step from the state the behaviour reached, drawing from its own
    `labeller_rng`: its mean actions are the DAgger labels ("expert_mean_actions"); it reads the env
    and never changes it, so the episode is the same with or without it.

    Returns per-step arrays (observations (T, D), actions, mean_actions (T, 56), rewards,
    terminated/truncated flags), the final observation, per-step `infos` (MoCapAct's time_in_clip,
    start_time_in_clip, last_time_in_clip, and the clip step) and the env's episode metrics
    (normalized_episode_length, normalized_return, ...). `progress(1)` is called after every step.
    """
    if labeller is not None and labeller_rng is None:
        raise ValueError("run_episode: a labeller needs its own labeller_rng (the behaviour's stream stays its own)")
    plans_from_state = isinstance(behaviour, TrackingMPC)
    observation, info = env.reset(seed=seed, options=options)
    if plans_from_state:
        behaviour.reset()
    if labeller is not None:
        labeller.reset()
    last_time_in_clip = env.last_time_index / (env.reference.num_steps - 1)
    observations, actions, mean_actions, labels, rewards = [observation], [], [], [], []
    time_steps, times_in_clip = [], []
    while True:
        if labeller is not None:
            labels.append(labeller.act(env, labeller_rng).astype(np.float32))
        if plans_from_state:
            mean_action = behaviour.act(env, rng)
        else:
            mean_action = np.asarray(behaviour.act(observation[None], rng)[0], dtype=np.float64)
        action = mean_action
        if action_noise > 0:
            action = np.clip(mean_action + action_noise * rng.standard_normal(mean_action.shape), -1.0, 1.0)
        action = action.astype(np.float32)
        observation, reward, terminated, truncated, step_info = env.step(action)
        actions.append(action)
        mean_actions.append(mean_action.astype(np.float32))
        rewards.append(reward)
        time_steps.append(step_info["time_step"])
        times_in_clip.append(step_info["time_in_clip"])
        if progress is not None:
            progress(1)
        if terminated or truncated:
            break
        observations.append(observation)
    length = len(rewards)
    result = {
        "observations": np.stack(observations),
        "final_observation": observation,
        "actions": np.stack(actions),
        "mean_actions": np.stack(mean_actions),
        "rewards": np.asarray(rewards, dtype=np.float64),
        "terminated": bool(terminated),
        "truncated": bool(truncated),
        "snippet_id": info["snippet_id"],
        "start_step": info["start_step"],
        "infos": {
            "start_step": np.full(length, info["start_step"], dtype=np.int64),
            "time_step": np.asarray(time_steps, dtype=np.int64),
            "time_in_clip": np.asarray(times_in_clip, dtype=np.float64),
            "start_time_in_clip": np.full(length, info["time_in_clip"], dtype=np.float64),
            "last_time_in_clip": np.full(length, last_time_in_clip, dtype=np.float64),
        },
        "metrics": {key: step_info[key] for key in
                    ("episode_length", "episode_return", "normalized_episode_length", "normalized_return")},
    }
    if labeller is not None:
        result["expert_mean_actions"] = np.stack(labels)
    return result
