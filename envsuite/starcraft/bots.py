"""Scripted bots for the micro-battle simulator: attack-nearest, focus-fire, kite, random.

Where it sits: the StarCraft family (envsuite/starcraft/): the opponents of the gymnasium view and
the behaviour policies of the bot-vs-bot datasets. A bot writes commands for one side of a `Battle`
(`bot(battle, side, rng)`); the targeting kernels are numba functions of the battle's arrays.

- attack-nearest: every unit attacks the nearest enemy it can hit (SMAC's built-in AI attacks
  the nearest units in much the same way).
- focus-fire: every unit attacks the enemy with the least hit points + shields left (the nearest it
  can hit, if it cannot hit that one).
- kite: like attack-nearest, but a ranged unit whose weapon is cooling down steps back from an enemy
  closer than its range.
- random: every unit picks uniformly among idle, four moves and attacking a random live enemy.
"""

from __future__ import annotations

import math

import numpy as np

from envsuite._numba_cache import njit
from envsuite.starcraft.simulator import ATTACK, IDLE, MOVE
from envsuite.starcraft.units import COL_FLYING, COL_HITS_AIR, COL_HITS_GROUND, COL_RANGE

MOVE_DISTANCE = 2.0  # a move command's destination lies this far away (SMAC's move amount)
DIRECTIONS = np.array([[0.0, 1.0], [0.0, -1.0], [1.0, 0.0], [-1.0, 0.0]])  # north, south, east, west


@njit(cache=True)
def nearest_enemy(table, types, teams, positions, alive, i):
    """The live enemy of unit i nearest to it that it can hit, or -1."""
    best, best_distance = -1, 1e18
    for j in range(types.shape[0]):
        if not alive[j] or teams[j] == teams[i]:
            continue
        if table[types[j], COL_FLYING] > 0.0:
            if table[types[i], COL_HITS_AIR] <= 0.0:
                continue
        elif table[types[i], COL_HITS_GROUND] <= 0.0:
            continue
        dx, dy = positions[j, 0] - positions[i, 0], positions[j, 1] - positions[i, 1]
        distance = dx * dx + dy * dy
        if distance < best_distance:
            best, best_distance = j, distance
    return best


@njit(cache=True)
def command_attack_nearest(table, types, teams, positions, alive, side, commands, targets):
    for i in range(types.shape[0]):
        if teams[i] == side and alive[i]:
            targets[i] = nearest_enemy(table, types, teams, positions, alive, i)
            commands[i] = 2 if targets[i] >= 0 else 0


@njit(cache=True)
def command_focus_fire(table, types, teams, positions, alive, hit_points, shields, side, commands, targets):
    weakest, weakest_health = -1, 1e18
    for j in range(types.shape[0]):
        if alive[j] and teams[j] != side and hit_points[j] + shields[j] < weakest_health:
            weakest, weakest_health = j, hit_points[j] + shields[j]
    for i in range(types.shape[0]):
        if teams[i] != side or not alive[i]:
            continue
        target = weakest
        if target >= 0:
            flying = table[types[target], COL_FLYING] > 0.0
            if (flying and table[types[i], COL_HITS_AIR] <= 0.0) or (not flying and table[types[i], COL_HITS_GROUND] <= 0.0):
                target = nearest_enemy(table, types, teams, positions, alive, i)
        targets[i] = target
        commands[i] = 2 if target >= 0 else 0


@njit(cache=True)
def command_kite(table, types, teams, positions, alive, cooldowns, side, commands, targets, destinations, step_back):
    for i in range(types.shape[0]):
        if teams[i] != side or not alive[i]:
            continue
        j = nearest_enemy(table, types, teams, positions, alive, i)
        targets[i] = j
        commands[i] = 2 if j >= 0 else 0
        weapon_range = table[types[i], COL_RANGE]
        if j < 0 or weapon_range < 1.0 or cooldowns[i] <= 0.0:
            continue  # melee units and ready weapons attack
        dx, dy = positions[i, 0] - positions[j, 0], positions[i, 1] - positions[j, 1]
        distance = math.sqrt(dx * dx + dy * dy)
        if 1e-9 < distance < weapon_range:
            commands[i] = 1
            destinations[i, 0] = positions[i, 0] + dx / distance * step_back
            destinations[i, 1] = positions[i, 1] + dy / distance * step_back


def attack_nearest(battle, side: int, rng=None) -> None:
    command_attack_nearest(battle.table, battle.types, battle.teams, battle.positions, battle.alive, side,
                           battle.commands, battle.targets)


def focus_fire(battle, side: int, rng=None) -> None:
    command_focus_fire(battle.table, battle.types, battle.teams, battle.positions, battle.alive, battle.hit_points,
                       battle.shields, side, battle.commands, battle.targets)


def kite(battle, side: int, rng=None) -> None:
    command_kite(battle.table, battle.types, battle.teams, battle.positions, battle.alive, battle.cooldowns, side,
                 battle.commands, battle.targets, battle.destinations, MOVE_DISTANCE)


def random_bot(battle, side: int, rng: np.random.Generator) -> None:
    """Idle, move in one of four directions, or attack a random live enemy, uniformly per unit."""
    if rng is None:
        raise ValueError("the random bot needs an rng")
    units = np.flatnonzero((battle.teams == side) & battle.alive)
    enemies = np.flatnonzero((battle.teams != side) & battle.alive)
    choices = rng.integers(0, 6, size=len(units))
    for unit, choice in zip(units, choices):
        if choice == 0 or (choice == 5 and len(enemies) == 0):
            battle.commands[unit] = IDLE
        elif choice <= 4:
            battle.commands[unit] = MOVE
            battle.destinations[unit] = battle.positions[unit] + MOVE_DISTANCE * DIRECTIONS[choice - 1]
        else:
            battle.commands[unit] = ATTACK
            battle.targets[unit] = enemies[rng.integers(len(enemies))]


BOTS = {"attack-nearest": attack_nearest, "focus-fire": focus_fire, "kite": kite, "random": random_bot}


def get_bot(name: str):
    if name not in BOTS:
        raise ValueError(f"unknown bot {name!r}; choose from {sorted(BOTS)}")
    return BOTS[name]
