"""envsuite/Ant-v0: gymnasium's Ant-v5, with validated actions and the D4RL dataset API.

Part of the locomotion family (envsuite/locomotion). Registered by envsuite/registry.py as
`envsuite/Ant-v0` and, with a dataset attached, `envsuite/ant-<kind>-v0`.

| | |
|---|---|
| Action space | `Box(-1, 1, (8,), float32)`: torques on the 8 hip and ankle hinges |
| Observation space | `Box(-inf, inf, (105,), float64)`: qpos[2:] (13), qvel (14), contact forces cfrc_ext[1:] (78, clipped to +-1) |
| Reward | healthy_reward (1, only while healthy) + dx/dt of the torso - 0.5 * sum(action**2) - 5e-4 * sum(contact_forces**2) |
| Termination | unhealthy: torso z outside [0.2, 1.0] or any state non-finite |
| Truncation | 1000 steps (TimeLimit added at registration) |
| Starting state | qpos = init + U(+-0.1), qvel = 0.1 * N(0, 1) |
| Bad actions | NaN/inf, wrong shape or non-float dtype: ValueError naming env and space. Out-of-bounds floats are passed on as in gymnasium: MuJoCo clamps the control, the control cost uses the given action. A huge action gives a huge control cost, exactly as in gymnasium's own Ant-v5: for a float32 action the squares are float32, so from about |a| = 1.8e19 they overflow and the reward is -inf (numpy warns of the overflow); a float64 action of 1e30 gives a finite reward near -4e60. Clip actions to the space if that matters. |
| Arguments | every keyword of gymnasium's `AntEnv` v5, plus `dataset_id`, `ref_min_score`, `ref_max_score` |

Version history: v0 (envsuite 0.1): gymnasium Ant-v5 dynamics, observations (with contact forces), rewards, termination.
"""

from __future__ import annotations

from gymnasium.envs.mujoco import ant_v5

from envsuite.locomotion._dataset_env import LocomotionEnvMixin


class AntEnv(LocomotionEnvMixin, ant_v5.AntEnv):
    """Ant v5 with validated actions and `get_dataset()` / `get_normalized_score()`."""
