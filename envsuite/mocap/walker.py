"""The CMU humanoid (dm_control's `humanoid_CMU_V2020` walker on a floor) as a bare `mujoco.MjModel`.

Where it sits: the MoCap family's physics layer (envsuite/mocap/). The tracking env
(envsuite/mocap/tracking.py) steps this model with `mujoco` directly; dm_control is used once per
process, here, to compile it.

Why dm_control compiles it: the V2020 walker is not an XML file but a recipe (dm_control's
`CMUHumanoidPositionControlledV2020`: the 2020 XML rescaled by 1.2 to 70 kg, a face, 56 position
actuators with a 30 ms activation filter, framepos sensors for the end effectors) attached to the
`Floor` arena with a free joint. Building it through the very same code dm_control's
`MultiClipMocapTracking` uses gives a bit-identical model, which is what makes the parity test
exact. The compiled model is cached per process: an env reset never recompiles (dm_control's
composer recompiles on every reset).

`HumanoidIndices` holds every address the env needs, read off dm_control's own bindings:
joints in CMU mocap order (the clip's `joints`) and in actuator order (the observations'
`joints_pos`), the tracked bodies (all but the root), end effectors, and sensor slices.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass

import numpy as np

PHYSICS_TIMESTEP = 0.005  # dm_control's reference_pose DEFAULT_PHYSICS_TIMESTEP
TORQUE_THRESHOLD = 60.0  # dm_control cmu_humanoid._TORQUE_THRESHOLD: torque sensors are tanh(2 v / 60)
TOUCH_THRESHOLD = 1e-3  # dm_control legacy_base._TOUCH_THRESHOLD: touch sensors are v > 1e-3


@dataclass(frozen=True)
class HumanoidIndices:
    """Addresses into the compiled model's arrays (all int64 numpy arrays or ints)."""

    free_qpos: np.ndarray  # (7,) qpos addresses of the free root joint: position, quaternion (clip 'position', 'quaternion')
    free_dof: np.ndarray  # (6,) its qvel addresses: velocity, angular velocity
    com_body: int  # the body carrying the free joint; its subtree_com is the clip's 'center_of_mass'
    mocap_qpos: np.ndarray  # (56,) qpos address of each joint in CMU mocap order (clip 'joints')
    mocap_dof: np.ndarray  # (56,) qvel address, same order
    observable_qpos: np.ndarray  # (56,) qpos address in actuator order (observation 'joints_pos')
    observable_dof: np.ndarray  # (56,) qvel address in actuator order
    mocap_to_observable: np.ndarray  # (56,) indices into mocap order giving actuator order
    tracking_bodies: np.ndarray  # (31,) body ids of every walker body but the root (clip 'body_positions')
    root_body: int  # the walker's 'root' body: its xmat is the egocentric frame of the observations
    appendage_bodies: np.ndarray  # (5,) rradius, lradius, rfoot, lfoot, head
    end_effector_sensors: np.ndarray  # (12,) sensordata addresses of the end-effector framepos sensors
    gyro: np.ndarray  # (3,) sensordata addresses
    accelerometer: np.ndarray
    velocimeter: np.ndarray
    touch: np.ndarray  # (10,)
    torque: np.ndarray  # (6,)
    actuator_names: tuple[str, ...]


_lock = threading.Lock()
_cache: dict[str, tuple] = {}


def humanoid_model():
    """(MjModel, HumanoidIndices) of the V2020 walker on dm_control's Floor; compiled once per process.

    Callers get their own MjData; the MjModel is shared and must not be modified.
    """
    with _lock:
        if "model" not in _cache:
            _cache["model"] = _build()
        return _cache["model"]


def _build():
    # dm_control imports are local: only compiling the model needs them.
    from dm_control import mjcf
    from dm_control.locomotion import arenas
    from dm_control.locomotion.tasks.reference_pose import utils
    from dm_control.locomotion.walkers import cmu_humanoid

    arena = arenas.Floor()
    walker = utils.add_walker(cmu_humanoid.CMUHumanoidPositionControlledV2020, arena)
    arena.mjcf_model.option.timestep = PHYSICS_TIMESTEP  # what composer's set_timesteps writes
    physics = mjcf.Physics.from_mjcf_model(arena.mjcf_model)

    def sensor_addresses(elements) -> np.ndarray:
        bound = physics.bind(elements)
        return np.concatenate([np.arange(a, a + d) for a, d in zip(bound.adr, bound.dim)]).astype(np.int64)

    frame = mjcf.get_attachment_frame(walker.mjcf_model)
    free = physics.bind(frame.freejoint)
    joints = physics.bind(walker.mocap_joints)
    observable = physics.bind(walker.observable_joints)
    sensors = walker.mjcf_model.sensor
    indices = HumanoidIndices(
        free_qpos=np.arange(free.qposadr, free.qposadr + 7, dtype=np.int64),
        free_dof=np.arange(free.dofadr, free.dofadr + 6, dtype=np.int64),
        com_body=int(physics.bind(frame).element_id),
        mocap_qpos=np.asarray(joints.qposadr, dtype=np.int64),
        mocap_dof=np.asarray(joints.dofadr, dtype=np.int64),
        observable_qpos=np.asarray(observable.qposadr, dtype=np.int64),
        observable_dof=np.asarray(observable.dofadr, dtype=np.int64),
        mocap_to_observable=np.asarray(walker.mocap_to_observable_joint_order, dtype=np.int64),
        tracking_bodies=np.asarray(physics.bind(walker.mocap_tracking_bodies).element_id, dtype=np.int64),
        root_body=int(physics.bind(walker.root_body).element_id),
        appendage_bodies=np.asarray(physics.bind(walker.end_effectors + (walker.head,)).element_id, dtype=np.int64),
        end_effector_sensors=sensor_addresses(walker.end_effectors_pos_sensors),
        gyro=sensor_addresses(sensors.gyro),
        accelerometer=sensor_addresses(sensors.accelerometer),
        velocimeter=sensor_addresses(sensors.velocimeter),
        touch=sensor_addresses(sensors.touch),
        torque=sensor_addresses(sensors.torque),
        actuator_names=tuple(actuator.name for actuator in walker.actuators),
    )
    # The walker's actuators are the model's only ones, in the same order, so ctrl = action.
    if physics.model.nu != len(walker.actuators) or list(physics.bind(walker.actuators).element_id) != list(
            range(physics.model.nu)):
        raise AssertionError("the V2020 walker's actuators are not the model's actuators in order")
    if physics.model.opt.integrator != 0:  # mjINT_EULER: the tracking env's grouping of mj_step1/2 relies on it
        raise AssertionError("the V2020 walker's model is expected to use MuJoCo's Euler integrator")
    if physics.model.na != physics.model.nu:
        raise AssertionError("every V2020 actuator is expected to have one filter activation")
    # A standalone copy, free of dm_control's wrapper and of its lifetime.
    return copy.deepcopy(physics.model.ptr), indices
