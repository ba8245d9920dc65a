"""envsuite/HalfCheetah-v0: gymnasium's HalfCheetah-v5, with validated actions and the D4RL dataset API.

Part of the locomotion family (envsuite/locomotion). Registered by envsuite/registry.py as
`envsuite/HalfCheetah-v0` and, with a dataset attached, `envsuite/halfcheetah-<kind>-v0`.

| | |
|---|---|
| Action space | `Box(-1, 1, (6,), float32)`: torques on back/front thigh, shin, foot |
| Observation space | `Box(-inf, inf, (17,), float64)`: qpos[1:] (8), qvel (9) |
| Reward | dx/dt of the front tip - 0.1 * sum(action**2) |
| Termination | never |
| Truncation | 1000 steps (TimeLimit added at registration) |
| Starting state | qpos = U(+-0.1), qvel = 0.1 * N(0, 1) |
| Bad actions | NaN/inf, wrong shape or non-float dtype: ValueError naming env and space. Out-of-bounds floats are passed on as in gymnasium: MuJoCo clamps the control, the control cost uses the given action. A huge action gives a huge control cost, exactly as in gymnasium's own HalfCheetah-v5: for a float32 action the squares are float32, so from about |a| = 1.8e19 they overflow and the reward is -inf (numpy warns of the overflow); a float64 action of 1e30 gives a finite reward near -6e59. Clip actions to the space if that matters. |
| Arguments | every keyword of gymnasium's `HalfCheetahEnv` v5, plus `dataset_id`, `ref_min_score`, `ref_max_score` |

Version history: v0 (envsuite 0.1): gymnasium HalfCheetah-v5 dynamics, observations, rewards.
"""

from __future__ import annotations

from gymnasium.envs.mujoco import half_cheetah_v5

from envsuite.locomotion._dataset_env import LocomotionEnvMixin


class HalfCheetahEnv(LocomotionEnvMixin, half_cheetah_v5.HalfCheetahEnv):
    """HalfCheetah v5 with validated actions and `get_dataset()` / `get_normalized_score()`."""
