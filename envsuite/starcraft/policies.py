"""Behaviour policies for the StarCraft envs: the scripted bots, expressed as the agents' discrete actions.

Where it sits: the StarCraft family (envsuite/starcraft/), for the micro-battle datasets (datagen).
A bot (bots.py) commands units in the simulator's terms (attack unit j, walk to a point); an agent
acts in the env's terms (features.py: move one of four directions, stop, attack enemy j in range).
`bot_actions` runs a bot for the allied side and translates its commands:
- attack enemy j: action 5 + j when the mask allows it (j in range), otherwise the move towards j
  whose direction is closest to it (the bot would walk there);
- walk to a point: the move whose direction is closest to the point's;
- idle: stop.
A translated move the mask forbids (the map's edge) becomes stop. `random_actions` draws uniformly
among each agent's allowed actions.
"""

from __future__ import annotations

import numpy as np

from envsuite.starcraft import features
from envsuite.starcraft.bots import DIRECTIONS, get_bot
from envsuite.starcraft.simulator import ATTACK, MOVE


def _move_towards(offset: np.ndarray) -> int:
    return int(np.argmax(DIRECTIONS @ offset))


def bot_actions(env, bot_name: str, rng: np.random.Generator) -> np.ndarray:
    """(allies,) int64 actions of the allied units under `bot_name` (env: an unwrapped StarCraftMicroEnv)."""
    parallel = env.parallel
    battle, masks = parallel.battle, parallel._masks
    get_bot(bot_name)(battle, 0, rng)
    actions = np.full(parallel.num_allies, features.STOP, dtype=np.int64)
    for unit in range(parallel.num_allies):
        if not battle.alive[unit]:
            continue
        command = battle.commands[unit]
        if command == ATTACK:
            enemy = int(battle.targets[unit]) - parallel.num_allies
            action = features.FIRST_ATTACK + enemy
            if not masks[unit, action]:
                action = _move_towards(battle.positions[battle.targets[unit]] - battle.positions[unit])
        elif command == MOVE:
            action = _move_towards(battle.destinations[unit] - battle.positions[unit])
        else:
            action = features.STOP
        actions[unit] = action if masks[unit, action] else features.STOP
    return actions


def random_actions(masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One uniformly random allowed action per agent from (agents, actions) masks."""
    return np.argmax(rng.random(masks.shape) * masks, axis=1).astype(np.int64)
