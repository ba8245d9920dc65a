"""StarCraft micro battles as a versioned PettingZoo environment module, the way PettingZoo ships its own:

    from envsuite.starcraft import micro_v0

    env = micro_v0.env(scenario="3m")                   # AEC: agents act in turn (OrderEnforcing, AssertOutOfBounds)
    parallel = micro_v0.parallel_env(scenario="3m")     # Parallel: every live agent acts at once
    raw = micro_v0.raw_env(scenario="3m")               # AEC without the out-of-bounds check

The battle, spaces, rewards and arguments are those of `envsuite.starcraft.micro`
(`StarCraftMicroParallelEnv`; its module table): the parallel env is native, the AEC env is
PettingZoo's own `parallel_to_aec` conversion of it, so the two give the same battles. Arguments:
`scenario`, `enemy_bot`, `render_mode` ("rgb_array": `render()` returns an RGB frame of the battle).

render_mode "human" is not offered (no window on servers or CI; the frames come from
`render_mode="rgb_array"`): like `gymnasium.make` for an undeclared mode, asking for it warns and
renders nothing (PettingZoo's `render_test` builds every env with "human" once to read its
metadata). Any other unknown mode is a ValueError.

Version history: v0 (envsuite 0.1).
"""

from __future__ import annotations

import warnings

from pettingzoo.utils import wrappers
from pettingzoo.utils.conversions import parallel_to_aec

from envsuite.starcraft.micro import StarCraftMicroParallelEnv

__all__ = ["env", "parallel_env", "raw_env"]


def _render_mode(render_mode):
    if render_mode == "human":
        warnings.warn("envsuite StarCraft micro battles have no 'human' render mode (no window): rendering is off; "
                      "use render_mode='rgb_array' and show the frames render() returns", stacklevel=3)
        return None
    return render_mode


def parallel_env(scenario="3m", enemy_bot: str = "attack-nearest", render_mode: str | None = None) -> StarCraftMicroParallelEnv:
    """The PettingZoo ParallelEnv of a micro battle (one agent per allied unit)."""
    return StarCraftMicroParallelEnv(scenario, enemy_bot, _render_mode(render_mode))


def raw_env(scenario="3m", enemy_bot: str = "attack-nearest", render_mode: str | None = None):
    """The AEC env: PettingZoo's `parallel_to_aec` of `parallel_env` (which adds its OrderEnforcingWrapper)."""
    return parallel_to_aec(parallel_env(scenario, enemy_bot, render_mode))


def env(scenario="3m", enemy_bot: str = "attack-nearest", render_mode: str | None = None):
    """The AEC env with PettingZoo's usual wrappers: AssertOutOfBoundsWrapper (actions must lie in the
    Discrete action space) and OrderEnforcingWrapper (reset before step, ...)."""
    aec = raw_env(scenario, enemy_bot, render_mode)
    aec = wrappers.AssertOutOfBoundsWrapper(aec)
    return wrappers.OrderEnforcingWrapper(aec)
