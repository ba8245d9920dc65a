"""envsuite/CMUHumanoidTracking-v0: the CMU humanoid tracks motion-capture snippets (dm_control's
`MultiClipMocapTracking`, as MoCapAct uses it), written directly on `mujoco`.

Part of the MoCap family (envsuite/mocap/). The model is dm_control's V2020 walker on its Floor arena,
compiled once per process (envsuite/mocap/walker.py); clips are dm_control-format HDF5 files
(envsuite/mocap/clips.py), cut into snippets (snippets.py, reference.py). Rewards are in rewards.py,
the observation layout in observables.py. A parity test runs dm_control's own task beside this env
on the same clip, start and actions and asserts equal rewards, termination and observations.

| | |
|---|---|
| Action space | `Box(-1, 1, (56,), float32)`: targets of the 56 position actuators (filtered, 30 ms), in actuator order (`env.unwrapped.actuator_names`) |
| Observation space | `Box(-inf, inf, (D,), float32)`, MoCapAct's flattened layout: the 24 float observables of dm_control's task in sorted order; `env.unwrapped.observable_indices` maps each name to its columns. D = 2,847 for the default 5 reference steps |
| Reward | dm_control's `comic` reward: 0.5 (1 - e / 0.3) + 0.5 (0.1 exp(-10 ‖Δcom‖²) + exp(-0.1 ‖Δjoint vel‖²) + 0.15 exp(-40 ‖Δappendages‖²) + 0.65 exp(-2 Σ d(body quats)²)) |
| Termination | termination error e = 0.5 mean‖Δ body positions‖₁ + 0.5 mean‖Δ joints‖₁ above `termination_error_threshold` (0.3), dm_control's discount-0 case; also a MuJoCo warning (divergent physics), with reward 0 |
| Truncation | the snippet's last trackable step (its end minus the largest reference step), dm_control's "end of mocap" |
| Control | 0.03 s per step (the clip's dt) = 6 physics steps of 0.005 s, stepped as dm_control's legacy step (mj_step2 then mj_step1) |
| Starting state | the reference pose and velocities at the start step: the snippet's first step (`start_mode="snippet-start"`), or uniform over the steps dm_control's task may start at (`"random-start"`: start .. end - max(ref_steps) - min_steps - 1); `reset(options={"snippet": id, "start_step": k})` picks one |
| Info | `snippet_id`, `snippet_index`, `start_step` (clip step the episode started at), `time_step` (clip step now), `termination_error`, `time_in_clip`; at the episode's end `normalized_episode_length` and `normalized_return` (MoCapAct's metrics) |
| Bad actions | NaN/inf, wrong shape or non-float dtype: ValueError naming the env and the space. Out-of-bounds floats are passed on as in dm_control: MuJoCo clamps each control to [-1, 1] |
| Arguments | `clips` (a subset of the shipped MoCap library: `all`, `walk_tiny`, `locomotion_small` or a category; a list of its clip ids; or a clip file; a subset is tracked snippet by snippet, envsuite/mocap/library.py), `clip_path` (default: the two-clip library assets/mocap/cmu_clips.h5), `snippets` (snippet ids `<clip>-<start>-<end>` or clip names for whole clips; default every clip whole), `ref_steps` (1, 2, 3, 4, 5), `start_mode`, `min_steps` (10), `termination_error_threshold` (0.3), `render_mode` ("rgb_array"), `render_width`, `render_height`, `camera_id` (3, MoCapAct's); `dataset_id` (set by the registry for `envsuite/mocap-<clip>-<kind>-v0`: `get_dataset()`) |

Differences from dm_control's task, by design: no recompilation on reset; the random start is drawn
from the env's own `np_random` (dm_control draws from its RandomState), so parity is asserted for a
given start, not for a seed.

Version history: v0 (envsuite 0.1): dm_control 1.0.50's MultiClipMocapTracking with the comic reward,
MoCapAct's observation layout.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium
import mujoco
import numpy as np
from gymnasium import spaces

from envsuite.common import DatasetEnvMixin, validate_box_action
from envsuite.mocap.clips import read_clips
from envsuite.mocap.observables import (NUM_APPENDAGES, NUM_BODIES, NUM_JOINTS, observable_indices,
                                        observable_slices, observation_size)
from envsuite.mocap import kernels
from envsuite.mocap.reference import ReferenceSnippet, reference_snippets
from envsuite.mocap.snippets import Snippet, split_clip
from envsuite.mocap.walker import PHYSICS_TIMESTEP, TORQUE_THRESHOLD, TOUCH_THRESHOLD, humanoid_model

START_MODES = ("snippet-start", "random-start")
DEFAULT_REF_STEPS = (1, 2, 3, 4, 5)


def load_snippets(clip_path=None, snippets=None, clips=None) -> list[ReferenceSnippet]:
    """The reference snippets an env tracks: snippet ids or clip names (whole clips) from `clip_path`, or from
    `clips`: a subset of the shipped MoCap library (envsuite/mocap/library.py), a list of its clip ids, or a
    clip file's path."""
    from envsuite.mocap.convert import library_path

    if clips is not None and clip_path is not None:
        raise ValueError("give clips= (a library subset, clip ids or a clip file) or clip_path=, not both")
    if isinstance(clips, (str, Path)) and (isinstance(clips, Path) or str(clips).endswith(".h5")):
        clip_path, clips = clips, None
    wanted = [snippets] if isinstance(snippets, (str, Snippet)) else snippets
    if wanted is not None and len(wanted) == 0:
        raise ValueError("snippets is empty; give snippet ids such as '02_01-0-95', clip names, or None for every clip")
    if clips is not None:
        from envsuite.mocap import library

        path = f"the MoCap library ({clips if isinstance(clips, str) else len(clips)} clips)"
        clips = library.load_clips(clips, with_attrs=False)
        if wanted is None:  # a library subset is tracked as MoCapAct tracks it: snippet by snippet
            wanted = [s for name in sorted(clips) for s in split_clip(name, clips[name].num_steps)]
    else:
        path = Path(clip_path) if clip_path is not None else library_path()
        clips = read_clips(path)
    if wanted is None:
        wanted = sorted(clips)
    chosen = []
    for item in wanted:
        if isinstance(item, Snippet):
            snippet = item
        elif item in clips:
            snippet = Snippet(item, 0, clips[item].num_steps - 1)
        else:
            try:
                snippet = Snippet.from_id(item)
            except ValueError:
                raise ValueError(f"{item!r} is neither a clip of {path} ({sorted(clips)}) nor a snippet id "
                                 "<clip>-<start>-<end>") from None
        if snippet.clip not in clips:
            raise ValueError(f"snippet {snippet.id}: {path} has no clip {snippet.clip!r}; it has {sorted(clips)}")
        chosen.append(snippet)
    by_clip: dict[str, list[int]] = {}
    for index, snippet in enumerate(chosen):
        by_clip.setdefault(snippet.clip, []).append(index)
    references: list = [None] * len(chosen)  # in the order asked for, each clip made time-major once
    for name, indices in by_clip.items():
        _check_walker(path, clips[name])
        for index, reference in zip(indices, reference_snippets(clips[name], [chosen[i] for i in indices])):
            references[index] = reference
    dts = {reference.dt for reference in references}
    if len(dts) != 1:
        raise ValueError(f"the snippets' clips have different time steps {sorted(dts)}; one env tracks clips of one dt")
    return references


def _check_walker(path, clip) -> None:
    """The clip must be of the humanoid_CMU_V2020 walker: 56 joints, 31 tracked bodies, 5 appendages."""
    expected = {"joints": NUM_JOINTS, "body_positions": 3 * NUM_BODIES, "appendages": 3 * NUM_APPENDAGES}
    found = {name: clip.poses[name].shape[0] for name in expected}
    if found != expected:
        raise ValueError(f"{path}: clip {clip.name!r} has pose sizes {found}, but the tracking env's walker "
                         f"(humanoid_CMU_V2020) needs {expected}; it was made for another walker (dm_control's "
                         "test clips are for the 2019 model)")


class CMUHumanoidTrackingEnv(DatasetEnvMixin, gymnasium.Env):
    """The CMU humanoid tracking reference snippets with dm_control's comic reward (see the module table)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 33}

    def __init__(self, clip_path=None, snippets=None, clips=None, ref_steps=DEFAULT_REF_STEPS, start_mode: str = "snippet-start",
                 min_steps: int = 10, termination_error_threshold: float = 0.3, render_mode: str | None = None,
                 render_width: int = 640, render_height: int = 480, camera_id: int = 3,
                 dataset_id: str | None = None, ref_min_score: float | None = None, ref_max_score: float | None = None):
        if start_mode not in START_MODES:
            raise ValueError(f"start_mode must be one of {START_MODES}, got {start_mode!r}")
        ref_steps = np.sort(np.asarray(ref_steps, dtype=np.int64))
        if ref_steps.ndim != 1 or len(ref_steps) == 0 or ref_steps[0] < 0:
            raise ValueError(f"ref_steps must be a non-empty sequence of non-negative ints, got {ref_steps}")
        if not termination_error_threshold > 0:
            raise ValueError(f"termination_error_threshold must be positive, got {termination_error_threshold}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self._init_dataset(dataset_id, ref_min_score, ref_max_score)
        self.references = load_snippets(clip_path, snippets, clips)
        self.ref_steps = ref_steps
        self.start_mode = start_mode
        self.min_steps = int(min_steps)
        self.termination_error_threshold = float(termination_error_threshold)
        self.control_timestep = self.references[0].dt
        self.n_substeps = int(round(self.control_timestep / PHYSICS_TIMESTEP))
        if abs(self.n_substeps * PHYSICS_TIMESTEP - self.control_timestep) > 1e-9:
            raise ValueError(f"the clips' dt {self.control_timestep} is not a multiple of the 0.005 s physics step")
        self.possible_starts = self._possible_starts()

        self.model, self.indices = humanoid_model()
        self.data = mujoco.MjData(self.model)
        self._bind_data_views()
        self.actuator_names = self.indices.actuator_names
        self.observable_indices = observable_indices(len(ref_steps))
        self._slices = observable_slices(len(ref_steps))
        self._reference_starts = np.array([self._slices[name].start for name in kernels.REFERENCE_OBSERVABLES])
        self._proprioceptive_starts = np.array([self._slices[name].start for name in kernels.PROPRIOCEPTIVE_OBSERVABLES])
        self._time_in_clip_column = self._slices["walker/time_in_clip"].start
        self._control_starts = tuple(self._slices[name].start for name in
                                     ("walker/velocimeter_control", "walker/gyro_control", "walker/joints_vel_control"))
        self._observation = np.zeros(observation_size(len(ref_steps)), dtype=np.float64)
        self.action_space = spaces.Box(-1.0, 1.0, (self.model.nu,), dtype=np.float32)
        self.observation_space = spaces.Box(-np.inf, np.inf, self._observation.shape, dtype=np.float32)

        self.render_mode = render_mode
        self._render_size = (int(render_height), int(render_width))
        self._camera_id = int(camera_id)
        self._renderer = None
        self._reference: ReferenceSnippet | None = None
        self._needs_reset = True

    # --- set-up -----------------------------------------------------------------------------

    def _possible_starts(self) -> list[tuple[int, int]]:
        """(snippet index, clip step) pairs an episode may start at, as dm_control's _get_possible_starts."""
        starts = []
        max_ref_step = int(self.ref_steps[-1])
        for index, reference in enumerate(self.references):
            if reference.num_steps - max_ref_step - 1 < 1:
                raise ValueError(f"snippet {reference.snippet.id} has {reference.num_steps} steps; tracking with "
                                 f"reference steps up to {max_ref_step} needs at least {max_ref_step + 2}")
            if self.start_mode == "snippet-start":
                starts.append((index, reference.snippet.start_step))
            else:
                starts.extend((index, step) for step in self.random_start_steps(index))
        if not starts:
            raise ValueError(f"no snippet is long enough for a random start with min_steps={self.min_steps} and "
                             f"ref_steps up to {max_ref_step}; use start_mode='snippet-start' or a smaller min_steps")
        return starts

    def random_start_steps(self, snippet_index: int) -> list[int]:
        """The clip steps a random start may pick in one snippet: start .. end - max(ref_steps) - min_steps - 1
        (dm_control's _get_possible_starts; empty for a snippet too short)."""
        snippet = self.references[snippet_index].snippet
        return list(range(snippet.start_step, snippet.end_step - int(self.ref_steps[-1]) - self.min_steps))

    def _bind_data_views(self):
        # The bindings build a new numpy view on every attribute access; take them once.
        d = self.data
        self._qpos, self._qvel, self._ctrl, self._act = d.qpos, d.qvel, d.ctrl, d.act
        self._xpos, self._xquat, self._xmat = d.xpos, d.xquat, d.xmat
        self._subtree_com, self._sensordata = d.subtree_com, d.sensordata
        self._warnings = d.warning.number

    # --- gymnasium API ----------------------------------------------------------------------

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        index, start_step = self._choose_start(options or {})
        reference = self.references[index]
        self._reference, self._snippet_index, self._start_step = reference, index, start_step
        self._time_step = start_step - reference.snippet.start_step  # index into the reference arrays
        self._last_step = reference.num_steps - int(self.ref_steps[-1]) - 1
        self._start_time = self._time_step * reference.dt
        self._episode_return, self._episode_length = 0.0, 0

        m, d, ix = self.model, self.data, self.indices
        f = reference.features
        t = self._time_step
        mujoco.mj_resetData(m, d)
        self._qpos[ix.free_qpos[:3]] = f["position"][t]
        self._qpos[ix.free_qpos[3:]] = f["quaternion"][t]
        self._qpos[ix.mocap_qpos] = f["joints"][t]
        self._qvel[ix.free_dof[:3]] = f["velocity"][t]
        self._qvel[ix.free_dof[3:]] = f["angular_velocity"][t]
        self._qvel[ix.mocap_dof] = f["joints_velocity"][t]
        # dm_control's reset_context ends with mj_forward with actuation disabled (no meaningful control yet).
        flags = m.opt.disableflags
        m.opt.disableflags = flags | int(mujoco.mjtDisableBit.mjDSBL_ACTUATION)
        try:
            mujoco.mj_forward(m, d)
        finally:
            m.opt.disableflags = flags

        self._read_walker()
        self._previous = (self._root_position.copy(), self._root_quaternion.copy(), self._joints.copy())
        self._error = self._termination_error()
        if self._error > 1e-2:  # dm_control raises the same: the clip does not fit the walker
            raise ValueError(f"snippet {reference.snippet.id}: the walker posed at clip step {start_step} is "
                             f"{self._error:.3g} from the reference (above 1e-2); the clip was not made for the "
                             "humanoid_CMU_V2020 walker")
        self._needs_reset = False
        self._time_in_clip_at_start = self._time_in_clip()
        return self._observe(), self._info()

    def step(self, action):
        if self._needs_reset:
            raise RuntimeError("CMUHumanoidTracking: call reset() before step() (and after an episode ended)")
        action = validate_box_action(self._env_name(), self.action_space, action)
        self._previous = (self._root_position, self._root_quaternion, self._joints)
        self._ctrl[:] = action
        warnings_before = int(self._warnings.sum())  # MuJoCo's warning counters only grow
        # dm_control's legacy step, per physics step: mj_step1 was done for this state, so finish with
        # mj_step2, then bring position/velocity quantities up to date with mj_step1. Six of them,
        # step2 (step1 step2) x 5 step1, are step2, mj_step x 5, step1 (mj_step1 + mj_step2 = mj_step
        # for the Euler integrator; dm_control's own multi-step call does the same). Bit-identical
        # (the parity tests), with 4 calls instead of 12.
        mujoco.mj_step2(self.model, self.data)
        if self.n_substeps > 1:
            mujoco.mj_step(self.model, self.data, self.n_substeps - 1)
        mujoco.mj_step1(self.model, self.data)
        # dm_control's mjcf physics is marked dirty by the control write, so the first read of a
        # derived quantity after the step (subtree_com, in get_features) runs mj_forward: the
        # observed accelerometer, touch and torque sensors are those of the new state. Position and
        # velocity stages are already current after mj_step1, so only the acceleration stage is redone.
        mujoco.mj_forwardSkip(self.model, self.data, mujoco.mjtStage.mjSTAGE_VEL, 0)
        divergent = int(self._warnings.sum()) > warnings_before
        self._time_step += 1
        self._read_walker()
        self._error = self._termination_error()
        if divergent:
            reward, terminated, truncated = 0.0, True, False
        else:
            reward = float(self._comic_reward())
            terminated = bool(self._error > self.termination_error_threshold)
            truncated = not terminated and self._time_step == self._last_step
        self._episode_return += reward
        self._episode_length += 1
        observation = self._observe()
        info = self._info()
        if terminated or truncated:
            self._needs_reset = True
            info.update(self._episode_metrics(info["time_in_clip"]))
        if divergent:
            info["physics_warning"] = True
        return observation, reward, terminated, truncated, info

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        if self._renderer is None:
            height, width = self._render_size
            self._renderer = mujoco.Renderer(self.model, height=height, width=width)
        self._renderer.update_scene(self.data, camera=self._camera_id)
        return self._renderer.render()

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    # --- what planners (the MPC expert) read ---------------------------------------------------

    @property
    def reference(self) -> ReferenceSnippet:
        """The snippet being tracked this episode."""
        return self._reference

    @property
    def time_index(self) -> int:
        """The current step as an index into `reference.features` (0 = the snippet's first step)."""
        return self._time_step

    @property
    def last_time_index(self) -> int:
        """The index at which the episode is truncated (end of the trackable part of the snippet)."""
        return self._last_step

    # --- episode start ----------------------------------------------------------------------

    def _choose_start(self, options) -> tuple[int, int]:
        unknown = set(options) - {"snippet", "start_step"}
        if unknown:
            raise ValueError(f"unknown reset options {sorted(unknown)}; known: 'snippet', 'start_step'")
        if "snippet" not in options and "start_step" not in options:
            index, step = self.possible_starts[int(self.np_random.integers(len(self.possible_starts)))]
            return index, step
        index = self._snippet_index_of(options.get("snippet", 0))
        snippet = self.references[index].snippet
        step = int(options.get("start_step", snippet.start_step))
        # the episode must be able to take one step before its last trackable step (end - max ref step)
        latest = snippet.end_step - int(self.ref_steps[-1]) - 1
        if not snippet.start_step <= step <= latest:
            raise ValueError(f"start_step {step} is outside snippet {snippet.id}'s trackable steps "
                             f"{snippet.start_step}..{latest}")
        return index, step

    def _snippet_index_of(self, snippet) -> int:
        ids = [reference.snippet.id for reference in self.references]
        if isinstance(snippet, (int, np.integer)):
            if not 0 <= snippet < len(ids):
                raise ValueError(f"snippet index {snippet} is out of range; this env tracks {len(ids)} snippets")
            return int(snippet)
        snippet_id = snippet.id if isinstance(snippet, Snippet) else str(snippet)
        if snippet_id in ids:
            return ids.index(snippet_id)
        clips = [reference.snippet.clip for reference in self.references]
        if clips.count(snippet_id) == 1:
            return clips.index(snippet_id)
        raise ValueError(f"this env tracks no snippet {snippet_id!r}; it tracks {ids}")

    # --- features, reward, observations -------------------------------------------------------

    def _read_walker(self):
        """The walker's features after a step (dm_control's reference_pose.utils.get_features)."""
        ix = self.indices
        self._root_position = self._qpos[ix.free_qpos[:3]]
        self._root_quaternion = self._qpos[ix.free_qpos[3:]]
        self._joints = self._qpos[ix.mocap_qpos]
        self._body_positions = self._xpos[ix.tracking_bodies]
        self._body_quaternions = self._xquat[ix.tracking_bodies]
        self._root_xmat = self._xmat[ix.root_body].reshape(3, 3).copy()
        # hands, feet and head relative to the root, in the root's frame (reward and observation)
        self._appendage_positions = (self._xpos[ix.appendage_bodies] - self._xpos[ix.root_body]) @ self._root_xmat

    def _termination_error(self) -> float:
        f, t = self._reference.features, self._time_step
        return kernels.termination_error(f["joints"][t], self._joints, f["body_positions"][t], self._body_positions)

    def _comic_reward(self) -> float:
        ix, f, t = self.indices, self._reference.features, self._time_step
        return kernels.comic_reward(
            self._error, self.termination_error_threshold, self._subtree_com[ix.com_body], f["center_of_mass"][t],
            self._qvel[ix.mocap_dof], f["joints_velocity"][t], self._appendage_positions, f["appendages"][t],
            self._body_quaternions, f["body_quaternions"][t])

    def _time_in_clip(self) -> float:
        return (self._start_time + self.data.time) / self._reference.duration

    def _observe(self) -> np.ndarray:
        ix, obs = self.indices, self._observation
        kernels.write_proprioception(
            obs, self._proprioceptive_starts, self._act, self._qpos, self._qvel, self._sensordata,
            self._xpos[ix.root_body, 2], self._root_xmat, self._appendage_positions, ix.observable_qpos,
            ix.observable_dof, ix.end_effector_sensors, ix.accelerometer, ix.gyro, ix.torque, ix.touch,
            ix.velocimeter, TORQUE_THRESHOLD, TOUCH_THRESHOLD)
        obs[self._time_in_clip_column] = self._time_in_clip()

        reference = self._reference
        f = reference.features
        kernels.write_reference_observations(
            obs, self._reference_starts, self._time_step + self.ref_steps, f["joints"], f["body_positions"],
            f["body_quaternions"], reference.ego_bodies_quats, f["position"], f["quaternion"], f["appendages"],
            self._joints, self._body_positions, self._body_quaternions, self._root_position, self._root_quaternion,
            self._root_xmat, ix.mocap_to_observable)
        previous_position, previous_quaternion, previous_joints = self._previous
        velocimeter_start, gyro_start, joints_velocity_start = self._control_starts
        kernels.write_control_observations(
            obs, velocimeter_start, gyro_start, joints_velocity_start, self.control_timestep, self._root_position, previous_position,
            self._root_quaternion, previous_quaternion, self._joints, previous_joints, ix.mocap_to_observable)
        return obs.astype(np.float32)

    # --- info and metrics -------------------------------------------------------------------

    def _info(self) -> dict:
        return {
            "snippet_id": self._reference.snippet.id,
            "snippet_index": self._snippet_index,
            "start_step": self._start_step,
            "time_step": self._reference.snippet.start_step + self._time_step,
            "termination_error": self._error,
            "time_in_clip": self._time_in_clip(),
        }

    def _episode_metrics(self, time_in_clip: float) -> dict:
        """MoCapAct's normalized episode length and return (its MocapTrackingVecMonitor)."""
        start = self._time_in_clip_at_start
        last = self._last_step / (self._reference.num_steps - 1)
        normalized_length = (time_in_clip - start) / (last - start)
        return {
            "episode_length": self._episode_length,
            "episode_return": self._episode_return,
            "normalized_episode_length": normalized_length,
            "normalized_return": self._episode_return / self._episode_length * normalized_length,
        }

    def _env_name(self) -> str:
        return self.spec.id if self.spec is not None else "CMUHumanoidTracking"

    def get_normalized_score(self, episode_return):
        raise ValueError(f"{self._env_name()}: MoCap datasets have no D4RL reference scores; they are judged by "
                         "MoCapAct's normalized episode length and return (the dataset's metrics, and the "
                         "normalized_episode_length / normalized_return an episode's last info carries)")
