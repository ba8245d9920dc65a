"""envsuite/Hopper-v0: gymnasium's Hopper-v5, with validated actions and the D4RL dataset API.

Part of the locomotion family (envsuite/locomotion). Registered by envsuite/registry.py as
`envsuite/Hopper-v0` and, with a dataset attached, `envsuite/hopper-{random,medium,expert,
medium-replay,medium-expert}-v0`.

| | |
|---|---|
| Action space | `Box(-1, 1, (3,), float32)`: torques on thigh, leg, foot hinges |
| Observation space | `Box(-inf, inf, (11,), float64)`: qpos[1:] (z, torso angle, 3 joint angles), qvel (6) |
| Reward | healthy_reward (1, only while healthy) + dx/dt of the torso - 1e-3 * sum(action**2) |
| Termination | unhealthy: z < 0.7, or torso angle outside [-0.2, 0.2], or any obs[1:] outside [-100, 100] |
| Truncation | 1000 steps (TimeLimit added at registration) |
| Starting state | qpos = [0, 1.25, 0, 0, 0, 0] + U(+-0.005), qvel = U(+-0.005) |
| Bad actions | NaN/inf, wrong shape or non-float dtype: ValueError naming env and space. Out-of-bounds floats are passed on as in gymnasium: MuJoCo clamps the control to [-1, 1], the control cost uses the given action. A huge action gives a huge control cost, exactly as in gymnasium's own Hopper-v5: for a float32 action the squares are float32, so from about |a| = 1.8e19 they overflow and the reward is -inf (numpy warns of the overflow); a float64 action of 1e30 gives a finite reward near -3e57. Clip actions to the space if that matters. |
| Arguments | every keyword of gymnasium's `HopperEnv` v5, plus `dataset_id`, `ref_min_score`, `ref_max_score` (set by the registry) |

Version history: v0 (envsuite 0.1): gymnasium Hopper-v5 dynamics, observations, rewards, termination.
"""

from __future__ import annotations

from gymnasium.envs.mujoco import hopper_v5

from envsuite.locomotion._dataset_env import LocomotionEnvMixin


class HopperEnv(LocomotionEnvMixin, hopper_v5.HopperEnv):
    """Hopper v5 with validated actions and `get_dataset()` / `get_normalized_score()`."""
