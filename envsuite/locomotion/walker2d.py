"""envsuite/Walker2d-v0: gymnasium's Walker2d-v5, with validated actions and the D4RL dataset API.

Part of the locomotion family (envsuite/locomotion). Registered by envsuite/registry.py as
`envsuite/Walker2d-v0` and, with a dataset attached, `envsuite/walker2d-<kind>-v0`.

| | |
|---|---|
| Action space | `Box(-1, 1, (6,), float32)`: torques on right/left thigh, leg, foot |
| Observation space | `Box(-inf, inf, (17,), float64)`: qpos[1:] (8), qvel (9, clipped to +-10) |
| Reward | healthy_reward (1, only while healthy) + dx/dt of the torso - 1e-3 * sum(action**2) |
| Termination | unhealthy: z outside (0.8, 2.0) or torso angle outside (-1, 1) |
| Truncation | 1000 steps (TimeLimit added at registration) |
| Starting state | qpos = init + U(+-0.005), qvel = U(+-0.005) |
| Bad actions | NaN/inf, wrong shape or non-float dtype: ValueError naming env and space. Out-of-bounds floats are passed on as in gymnasium: MuJoCo clamps the control, the control cost uses the given action. A huge action gives a huge control cost, exactly as in gymnasium's own Walker2d-v5: for a float32 action the squares are float32, so from about |a| = 1.8e19 they overflow and the reward is -inf (numpy warns of the overflow); a float64 action of 1e30 gives a finite reward near -6e57. Clip actions to the space if that matters. |
| Arguments | every keyword of gymnasium's `Walker2dEnv` v5, plus `dataset_id`, `ref_min_score`, `ref_max_score` |

Version history: v0 (envsuite 0.1): gymnasium Walker2d-v5 dynamics, observations, rewards, termination.
"""

from __future__ import annotations

from gymnasium.envs.mujoco import walker2d_v5

from envsuite.locomotion._dataset_env import LocomotionEnvMixin


class Walker2dEnv(LocomotionEnvMixin, walker2d_v5.Walker2dEnv):
    """Walker2d v5 with validated actions and `get_dataset()` / `get_normalized_score()`."""
