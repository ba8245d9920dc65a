"""SMAC-style unit feature vectors and action masks of a battle, as numba kernels.

Where it sits: the StarCraft family (envsuite/starcraft/), used by the PettingZoo env and its
gymnasium view. One call computes every agent's row, so an env step stays cheap.

Per agent (an allied unit), in SMAC's spirit (Samvelyan et al. 2019), all within its sight range:
- own:       health fraction, shield fraction, x / map, y / map, weapon cooldown fraction, type one-hot
- per enemy: visible, distance / sight, dx / sight, dy / sight, health fraction, shield fraction, type one-hot
- per ally (the other allies, in agent order): the same eight-plus-types block
Invisible or dead units are all zeros. Global state (`state()`): per unit (allies, then enemies)
alive, health fraction, shield fraction, (x - centre) / map, (y - centre) / map, cooldown fraction,
type one-hot.

Actions (per agent): 0-3 move north/south/east/west, 4 stop, 5 + j attack enemy j. The mask allows
moves that stay on the map, stop, and attacks on live enemies within the agent's weapon range
(edge to edge) that its weapon can hit; a dead agent's mask allows only stop.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from envsuite._numba_cache import njit
from envsuite.starcraft.units import (COL_COOLDOWN, COL_FLYING, COL_HIT_POINTS, COL_HITS_AIR, COL_HITS_GROUND,
                                      COL_RADIUS, COL_RANGE, COL_SHIELDS, COL_SIGHT)

NUM_MOVES = 4
STOP = 4
FIRST_ATTACK = 5
UNIT_BLOCK = 6  # visible, distance, dx, dy, health, shield (then the type one-hot)
OWN_BLOCK = 5  # health, shield, x, y, cooldown (then the type one-hot)
STATE_BLOCK = 6  # alive, health, shield, x, y, cooldown (then the type one-hot)


def observation_size(num_allies: int, num_enemies: int, num_types: int) -> int:
    return OWN_BLOCK + num_types + (num_enemies + num_allies - 1) * (UNIT_BLOCK + num_types)


def state_size(num_units: int, num_types: int) -> int:
    return num_units * (STATE_BLOCK + num_types)


def num_actions(num_enemies: int) -> int:
    return FIRST_ATTACK + num_enemies


@njit(cache=True)
def write_observations(out, table, types, type_slots, num_types, num_allies, positions, hit_points, shields,
                       cooldowns, alive, map_size):
    """out (num_allies, observation_size): every agent's feature vector (module docstring)."""
    n = types.shape[0]
    out[:] = 0.0
    block = UNIT_BLOCK + num_types
    for a in range(num_allies):
        if not alive[a]:
            continue
        kind = types[a]
        out[a, 0] = hit_points[a] / table[kind, COL_HIT_POINTS]
        if table[kind, COL_SHIELDS] > 0.0:
            out[a, 1] = shields[a] / table[kind, COL_SHIELDS]
        out[a, 2] = positions[a, 0] / map_size
        out[a, 3] = positions[a, 1] / map_size
        if table[kind, COL_COOLDOWN] > 0.0:
            out[a, 4] = cooldowns[a] / table[kind, COL_COOLDOWN]
        out[a, OWN_BLOCK + type_slots[kind]] = 1.0
        sight = table[kind, COL_SIGHT]
        slot = 0
        for other in range(num_allies, n):  # enemies first, then the other allies
            _write_unit(out, a, OWN_BLOCK + num_types + slot * block, table, types, type_slots, other, positions,
                        hit_points, shields, alive, sight)
            slot += 1
        for other in range(num_allies):
            if other == a:
                continue
            _write_unit(out, a, OWN_BLOCK + num_types + slot * block, table, types, type_slots, other, positions,
                        hit_points, shields, alive, sight)
            slot += 1


@numba.njit(inline="always")
def _write_unit(out, row, at, table, types, type_slots, other, positions, hit_points, shields, alive, sight):
    if not alive[other]:
        return
    dx = positions[other, 0] - positions[row, 0]
    dy = positions[other, 1] - positions[row, 1]
    distance = math.sqrt(dx * dx + dy * dy)
    if distance > sight:
        return
    kind = types[other]
    out[row, at] = 1.0
    out[row, at + 1] = distance / sight
    out[row, at + 2] = dx / sight
    out[row, at + 3] = dy / sight
    out[row, at + 4] = hit_points[other] / table[kind, COL_HIT_POINTS]
    if table[kind, COL_SHIELDS] > 0.0:
        out[row, at + 5] = shields[other] / table[kind, COL_SHIELDS]
    out[row, at + UNIT_BLOCK + type_slots[kind]] = 1.0


@njit(cache=True)
def write_action_masks(out, table, types, num_allies, positions, alive, map_size, move_distance):
    """out (num_allies, num_actions) int8: which actions each agent may take (module docstring)."""
    n = types.shape[0]
    out[:] = 0
    for a in range(num_allies):
        out[a, STOP] = 1
        if not alive[a]:
            continue
        x, y = positions[a, 0], positions[a, 1]
        out[a, 0] = 1 if y + move_distance <= map_size else 0
        out[a, 1] = 1 if y - move_distance >= 0.0 else 0
        out[a, 2] = 1 if x + move_distance <= map_size else 0
        out[a, 3] = 1 if x - move_distance >= 0.0 else 0
        kind = types[a]
        for e in range(num_allies, n):
            if not alive[e]:
                continue
            if table[types[e], COL_FLYING] > 0.0:
                if table[kind, COL_HITS_AIR] <= 0.0:
                    continue
            elif table[kind, COL_HITS_GROUND] <= 0.0:
                continue
            dx = positions[e, 0] - x
            dy = positions[e, 1] - y
            gap = math.sqrt(dx * dx + dy * dy) - table[kind, COL_RADIUS] - table[types[e], COL_RADIUS]
            if gap <= table[kind, COL_RANGE]:
                out[a, FIRST_ATTACK + e - num_allies] = 1


@njit(cache=True)
def write_state(out, table, types, type_slots, num_types, positions, hit_points, shields, cooldowns, alive, map_size):
    """out (state_size,): the global state (module docstring)."""
    out[:] = 0.0
    block = STATE_BLOCK + num_types
    for i in range(types.shape[0]):
        if not alive[i]:
            continue
        kind = types[i]
        at = i * block
        out[at] = 1.0
        out[at + 1] = hit_points[i] / table[kind, COL_HIT_POINTS]
        if table[kind, COL_SHIELDS] > 0.0:
            out[at + 2] = shields[i] / table[kind, COL_SHIELDS]
        out[at + 3] = (positions[i, 0] - 0.5 * map_size) / map_size
        out[at + 4] = (positions[i, 1] - 0.5 * map_size) / map_size
        if table[kind, COL_COOLDOWN] > 0.0:
            out[at + 5] = cooldowns[i] / table[kind, COL_COOLDOWN]
        out[at + STATE_BLOCK + type_slots[kind]] = 1.0


def type_slots(types: np.ndarray, num_type_ids: int) -> tuple[np.ndarray, int]:
    """A scenario's unit types numbered 0..k-1 in type-id order (the one-hot columns), and k."""
    present = np.unique(types)
    slots = np.full(num_type_ids, -1, dtype=np.int64)
    slots[present] = np.arange(len(present))
    return slots, len(present)
