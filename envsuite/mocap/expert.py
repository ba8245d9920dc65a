"""The tracking expert: sampling-based model-predictive control (MPPI) on `mujoco.rollout`.

Where it sits: the MoCap family's behaviour policy (envsuite/mocap/), used by the MoCap datasets
(datagen) the way MoCapAct uses its per-snippet PPO experts. It needs no training and no weights:
at every control step it plans on the env's own model from the env's exact physics state.

Each control step:
1. The nominal plan drives every position actuator to the reference pose of the next step
   (`pose_to_actuation`, dm_control's cmu_pose_to_actuation), over a horizon of H control steps.
2. `samples` perturbed plans (the previous step's correction, shifted, plus Gaussian noise held
   for `knot_steps` control steps; one unperturbed) are rolled out from the current state with
   `mujoco.rollout` on `threads` threads.
3. Each rollout is scored with the task's own termination error and comic reward at every control
   step of the horizon (forward kinematics on the rolled-out qpos); a rollout that would terminate
   scores `failure_penalty` and no further reward.
4. MPPI: the correction is the softmax(beta * normalised score)-weighted mean of the samples; the
   first step of (nominal + correction) is the action, clipped to [-1, 1].

The planner's randomness comes from the `rng` given to `act`, so an episode is reproducible from
its seed. Its cost is about samples x 6 H physics steps per control step (see README for timings).
"""

from __future__ import annotations

import mujoco
import numpy as np
from mujoco import rollout

from envsuite.mocap import kernels


def pose_to_actuation(model, indices, joints_in_mocap_order: np.ndarray) -> np.ndarray:
    """Controls (..., 56) in [-1, 1] that make the position actuators target these joint angles.

    dm_control's CMUHumanoidPositionControlled.cmu_pose_to_actuation: the actuator's joint range is
    mapped onto the control range [-1, 1].
    """
    joint = model.actuator_trnid[:, 0]
    low, high = model.jnt_range[joint, 0], model.jnt_range[joint, 1]
    target = np.asarray(joints_in_mocap_order)[..., indices.mocap_to_observable]
    return (2.0 * target - (high + low)) / (high - low)


class TrackingMPC:
    """MPPI around the reference pose, planning with the env's own model and reward."""

    name = "tracking_mpc"

    def __init__(self, horizon: int = 8, samples: int = 32, noise_std: float = 0.15, knot_steps: int = 2,
                 beta: float = 10.0, failure_penalty: float = 5.0, feedback_gain: float = 4.0, threads: int = 2):
        if horizon < 1 or samples < 2 or knot_steps < 1 or threads < 1:
            raise ValueError("TrackingMPC needs horizon >= 1, samples >= 2, knot_steps >= 1 and threads >= 1")
        self.horizon, self.samples, self.noise_std, self.knot_steps = int(horizon), int(samples), float(noise_std), int(knot_steps)
        self.beta, self.failure_penalty, self.threads = float(beta), float(failure_penalty), int(threads)
        self.feedback_gain = float(feedback_gain)
        self._model = None

    @property
    def info(self) -> dict:
        return {"kind": "mppi", "horizon": self.horizon, "samples": self.samples, "noise_std": self.noise_std,
                "knot_steps": self.knot_steps, "beta": self.beta, "failure_penalty": self.failure_penalty}

    def _bind(self, env):
        if self._model is env.model:
            return
        self._model = env.model
        self._indices = env.indices
        self._rollout_data = [mujoco.MjData(env.model) for _ in range(self.threads)]
        self._scratch = mujoco.MjData(env.model)
        self._state_size = mujoco.mj_stateSize(env.model, mujoco.mjtState.mjSTATE_FULLPHYSICS)
        joint = env.model.actuator_trnid[:, 0]
        self._control_per_radian = 2.0 / (env.model.jnt_range[joint, 1] - env.model.jnt_range[joint, 0])

    def reset(self):
        """Forget the previous correction (call at every episode start)."""
        self._correction = None

    def act(self, env, rng: np.random.Generator) -> np.ndarray:
        """The action (56,) for the env's current state (env: an unwrapped CMUHumanoidTrackingEnv)."""
        self._bind(env)
        model, ix = env.model, env.indices
        reference, t = env.reference, env.time_index
        joints = reference.features["joints"]
        last = len(joints) - 1
        steps = np.minimum(t + 1 + np.arange(self.horizon), last)  # reference step each planned action aims at
        nominal = pose_to_actuation(model, ix, joints[steps])  # (H, nu)
        if getattr(self, "_correction", None) is None:
            self._correction = np.zeros_like(nominal)
        knots = -(-self.horizon // self.knot_steps)
        noise = self.noise_std * rng.standard_normal((self.samples, knots, model.nu))
        noise = np.repeat(noise, self.knot_steps, axis=1)[:, : self.horizon]
        noise[0] = 0.0
        corrections = self._correction[None] + noise  # (K, H, nu)

        state = np.empty(self._state_size)
        mujoco.mj_getState(model, env.data, state, mujoco.mjtState.mjSTATE_FULLPHYSICS)
        states = np.repeat(state[None], self.samples, axis=0)
        control_states = np.empty((self.samples, self.horizon, self._state_size))
        qpos_at = 1 + ix.mocap_qpos  # FULLPHYSICS state: time, qpos, qvel, act, ...
        first = None
        warmstart = env.data.qacc_warmstart[None].copy()
        for h in range(self.horizon):
            controls = np.clip(nominal[h] + corrections[:, h] + self._feedback(joints[steps[h]], states[:, qpos_at]),
                               -1.0, 1.0)
            if h == 0:
                first = controls
            trajectory, _ = rollout.rollout(model, self._rollout_data, states,
                                            np.repeat(controls[:, None], env.n_substeps, axis=1),
                                            initial_warmstart=warmstart)
            states = trajectory[:, -1]
            control_states[:, h] = states
            warmstart = None
        scores = self._score(env, control_states, t)
        spread = scores.max() - scores.min()
        weights = np.exp(self.beta * (scores - scores.max()) / (spread + 1e-9))
        weights /= weights.sum()
        correction = np.tensordot(weights, corrections, axes=1)  # (H, nu)
        # The executed action: the weighted first controls (sample 0's state is the env's own).
        action = np.clip(np.tensordot(weights, first, axes=1), -1.0, 1.0)
        # Warm start: the rest of the plan, shifted by one step, repeating its last step.
        self._correction = np.concatenate([correction[1:], correction[-1:]], axis=0)
        return action

    def _feedback(self, target_joints: np.ndarray, joints: np.ndarray) -> np.ndarray:
        """Extra stiffness: feedback_gain x the joint error, in control units (actuator order)."""
        if self.feedback_gain == 0.0:
            return 0.0
        return self.feedback_gain * (target_joints - joints)[..., self._indices.mocap_to_observable] * self._control_per_radian

    def _score(self, env, states: np.ndarray, t: int) -> np.ndarray:
        """Discounted comic reward of each rollout; states (K, H, nstate) at the control steps."""
        model, ix, scratch = env.model, env.indices, self._scratch
        features = env.reference.features
        last = env.last_time_index
        threshold = env.termination_error_threshold
        nq, nv = model.nq, model.nv
        scores = np.zeros(states.shape[0])
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
                    break
                root = scratch.xpos[ix.root_body]
                appendages = (scratch.xpos[ix.appendage_bodies] - root) @ scratch.xmat[ix.root_body].reshape(3, 3)
                scores[k] += kernels.comic_reward(
                    error, threshold, scratch.subtree_com[ix.com_body], features["center_of_mass"][step],
                    scratch.qvel[ix.mocap_dof], features["joints_velocity"][step], appendages,
                    features["appendages"][step], scratch.xquat[ix.tracking_bodies], features["body_quaternions"][step])
        return scores
