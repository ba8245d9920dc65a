"""The micro-battle simulator: deterministic StarCraft II-style fights on a continuous 2-D map, in numba.

Where it sits: the StarCraft family's engine (envsuite/starcraft/). The PettingZoo env and its
gymnasium view drive a `Battle`; the scripted bots (bots.py) write its commands; the image formats
(images.py) render its unit positions.

State: one row per unit (allies first, then enemies), struct-of-arrays: position (x, y), hit points,
shields, weapon cooldown, alive, game loops since last damaged. Unit stats come from units.py's table.

One game loop (1/22.4 s), `simulate_loops`:
1. Cooldowns count down.
2. Every live unit acts on its command, all deciding on the state at the start of the loop:
   - IDLE: attack the nearest enemy already in range (stand still); healers heal the nearest damaged
     biological ally in range.
   - MOVE: walk towards the destination at the unit's speed (no attack).
   - ATTACK target: if the target is in weapon range (edge to edge) and the weapon is ready, fire;
     out of range, walk towards it. A dead target makes the unit IDLE.
3. Shots land in unit order: each hit per StarCraft II's rule (units.py: shields first, then armor,
   at least 0.5); splash weapons hit every enemy within `splash` of the target; suicide attackers
   (banelings) die. A unit at 0 hit points dies.
4. Walking is applied; ground units that overlap are pushed apart (half the overlap each, in 4
   passes) and kept on the map.
5. Protoss shields regenerate (2 per second) after 10 s (224 game loops) without damage.
The damage dealt (hit points + shields removed, overkill not counted) and kills of each side are
accumulated, for SMAC-style rewards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from envsuite._numba_cache import njit
from envsuite.starcraft.scenarios import Scenario, get_scenario
from envsuite.starcraft.units import (COL_ARMOR, COL_ATTRIBUTES, COL_BONUS, COL_BONUS_ATTRIBUTE, COL_COOLDOWN,
                                      COL_DAMAGE, COL_FLYING, COL_HEAL_RANGE, COL_HEAL_RATE, COL_HIT_POINTS,
                                      COL_HITS, COL_HITS_AIR, COL_HITS_GROUND, COL_RADIUS, COL_RANGE,
                                      COL_SHIELDS, COL_SPEED, COL_SPLASH, COL_SUICIDE, unit_table,
                                      unit_type_ids)

IDLE, MOVE, ATTACK = 0, 1, 2
BIOLOGICAL_BIT = 4  # units.ATTRIBUTE_BIT["biological"]
HISTORY_LOOPS = 255  # a StarCraftImage window
SEPARATION_PASSES = 4  # pairwise push-apart passes per game loop (a crowd needs more than one)


@numba.njit(inline="always")
def _can_hit(table, attacker_type, target_type):
    if table[target_type, COL_FLYING] > 0.0:
        return table[attacker_type, COL_HITS_AIR] > 0.0
    return table[attacker_type, COL_HITS_GROUND] > 0.0


@numba.njit(inline="always")
def _gap(positions, table, types, i, j):
    """Edge-to-edge distance of units i and j."""
    dx = positions[j, 0] - positions[i, 0]
    dy = positions[j, 1] - positions[i, 1]
    return math.sqrt(dx * dx + dy * dy) - table[types[i], COL_RADIUS] - table[types[j], COL_RADIUS]


@njit(cache=True)
def apply_hit(table, attacker_type, target_type, hit_points, shields):
    """One hit of `attacker_type` on a `target_type` with these hit points and shields; returns the new
    (hit points, shields). StarCraft II's rule: shields absorb first, the excess is reduced by armor
    (at least 0.5)."""
    raw = table[attacker_type, COL_DAMAGE]
    bonus_attribute = int(table[attacker_type, COL_BONUS_ATTRIBUTE])
    if bonus_attribute and (int(table[target_type, COL_ATTRIBUTES]) & bonus_attribute):
        raw += table[attacker_type, COL_BONUS]
    if shields >= raw:
        return hit_points, shields - raw
    excess = raw - shields
    return hit_points - max(excess - table[target_type, COL_ARMOR], 0.5), 0.0


@njit(cache=True)
def simulate_loops(loops, table, types, teams, positions, hit_points, shields, cooldowns, alive, since_damage,
                   commands, targets, destinations, map_size, damage_dealt, kills, history_positions, history_alive,
                   history_next):
    """Advance the battle by `loops` game loops in place (see the module docstring). damage_dealt and
    kills (2,) are accumulated per side (0 allies, 1 enemies). After every loop the positions and
    alive flags are written into the ring buffers history_* (frames, units, ...) at history_next[0],
    which then advances (for the StarCraftImage windows of images.battle_window)."""
    n = types.shape[0]
    dt = 1.0 / 22.4
    fire_at = np.empty(n, dtype=np.int64)
    velocity = np.zeros((n, 2))
    heal_target = np.empty(n, dtype=np.int64)
    for _ in range(loops):
        # 1-2. decide, on the state at the start of the loop
        for i in range(n):
            fire_at[i] = -1
            heal_target[i] = -1
            velocity[i, 0] = 0.0
            velocity[i, 1] = 0.0
            if not alive[i]:
                continue
            kind = types[i]
            cooldowns[i] = max(cooldowns[i] - dt, 0.0)
            command = commands[i]
            goal = -1
            if command == 2:
                goal = targets[i]
                if goal < 0 or goal >= n or not alive[goal]:
                    command = 0
                    goal = -1
            if command == 1:
                dx = destinations[i, 0] - positions[i, 0]
                dy = destinations[i, 1] - positions[i, 1]
                distance = math.sqrt(dx * dx + dy * dy)
                if distance > 1e-6:
                    step = min(table[kind, COL_SPEED] * dt, distance)
                    velocity[i, 0] = dx / distance * step
                    velocity[i, 1] = dy / distance * step
                continue
            if table[kind, COL_HEAL_RATE] > 0.0:
                best, best_gap = -1, 1e18
                for j in range(n):
                    if j == i or not alive[j] or teams[j] != teams[i]:
                        continue
                    if not (int(table[types[j], COL_ATTRIBUTES]) & BIOLOGICAL_BIT):
                        continue
                    if hit_points[j] >= table[types[j], COL_HIT_POINTS]:
                        continue
                    gap = _gap(positions, table, types, i, j)
                    if gap <= table[kind, COL_HEAL_RANGE] and gap < best_gap:
                        best, best_gap = j, gap
                heal_target[i] = best
                if best < 0 and goal >= 0:  # follow the unit it was told to attend
                    _walk_towards(positions, velocity, table, types, i, goal, dt)
                continue
            if table[kind, COL_DAMAGE] <= 0.0:
                continue
            weapon_range = table[kind, COL_RANGE]
            if goal >= 0:
                if teams[goal] == teams[i] or not _can_hit(table, kind, types[goal]):
                    continue  # cannot attack that unit: stand still
                if _gap(positions, table, types, i, goal) <= weapon_range:
                    if cooldowns[i] <= 0.0:
                        fire_at[i] = goal
                else:
                    _walk_towards(positions, velocity, table, types, i, goal, dt)
                continue
            # idle: the nearest enemy in range
            best, best_gap = -1, 1e18
            for j in range(n):
                if not alive[j] or teams[j] == teams[i] or not _can_hit(table, kind, types[j]):
                    continue
                gap = _gap(positions, table, types, i, j)
                if gap <= weapon_range and gap < best_gap:
                    best, best_gap = j, gap
            if best >= 0 and cooldowns[i] <= 0.0:
                fire_at[i] = best

        # 3. shots land, in unit order
        for i in range(n):
            j = fire_at[i]
            if j < 0:
                continue
            kind = types[i]
            cooldowns[i] = table[kind, COL_COOLDOWN]
            splash = table[kind, COL_SPLASH]
            for k in range(n):
                if k != j:
                    if splash <= 0.0 or not alive[k] or teams[k] == teams[i] or not _can_hit(table, kind, types[k]):
                        continue
                    dx = positions[k, 0] - positions[j, 0]
                    dy = positions[k, 1] - positions[j, 1]
                    if math.sqrt(dx * dx + dy * dy) > splash + table[types[k], COL_RADIUS]:
                        continue
                if not alive[k]:
                    continue
                before = hit_points[k] + shields[k]
                for _ in range(int(table[kind, COL_HITS])):
                    hit_points[k], shields[k] = apply_hit(table, kind, types[k], hit_points[k], shields[k])
                hit_points[k] = max(hit_points[k], 0.0)
                damage_dealt[teams[i]] += before - hit_points[k] - shields[k]
                since_damage[k] = 0
                if hit_points[k] <= 0.0:
                    alive[k] = False
                    kills[teams[i]] += 1
            if table[kind, COL_SUICIDE] > 0.0 and alive[i]:  # not a kill for the other side
                alive[i] = False
                hit_points[i] = 0.0
        for i in range(n):
            j = heal_target[i]
            if j >= 0 and alive[j] and alive[i]:
                hit_points[j] = min(hit_points[j] + table[types[i], COL_HEAL_RATE] * dt,
                                    table[types[j], COL_HIT_POINTS])

        # 4. walk, separate, stay on the map
        for i in range(n):
            if alive[i]:
                positions[i, 0] += velocity[i, 0]
                positions[i, 1] += velocity[i, 1]
        for _ in range(SEPARATION_PASSES):
            for i in range(n):
                if not alive[i] or table[types[i], COL_FLYING] > 0.0:
                    continue
                for j in range(i + 1, n):
                    if not alive[j] or table[types[j], COL_FLYING] > 0.0:
                        continue
                    dx = positions[j, 0] - positions[i, 0]
                    dy = positions[j, 1] - positions[i, 1]
                    distance = math.sqrt(dx * dx + dy * dy)
                    overlap = table[types[i], COL_RADIUS] + table[types[j], COL_RADIUS] - distance
                    if overlap > 0.0:
                        if distance < 1e-9:
                            # on top of each other (a crowd in a map corner): move the later unit towards
                            # the map's centre, where there is room
                            cx, cy = 0.5 * map_size - positions[j, 0], 0.5 * map_size - positions[j, 1]
                            norm = math.sqrt(cx * cx + cy * cy)
                            if norm < 1e-9:
                                cx, cy, norm = 1.0, 0.0, 1.0
                            positions[j, 0] += cx / norm * overlap
                            positions[j, 1] += cy / norm * overlap
                            continue
                        push = 0.5 * overlap / distance
                        positions[i, 0] -= dx * push
                        positions[i, 1] -= dy * push
                        positions[j, 0] += dx * push
                        positions[j, 1] += dy * push
            for i in range(n):
                positions[i, 0] = min(max(positions[i, 0], 0.0), map_size)
                positions[i, 1] = min(max(positions[i, 1], 0.0), map_size)

        # 5. shields
        for i in range(n):
            if not alive[i]:
                continue
            since_damage[i] += 1  # counted in whole game loops: 10 s is exactly 224 of them
            if since_damage[i] >= 224:
                shields[i] = min(shields[i] + 2.0 * dt, table[types[i], COL_SHIELDS])

        # 6. remember the loop for the image windows
        slot = history_next[0] % history_positions.shape[0]
        for i in range(n):
            history_positions[slot, i, 0] = positions[i, 0]
            history_positions[slot, i, 1] = positions[i, 1]
            history_alive[slot, i] = alive[i]
        history_next[0] += 1


@numba.njit(inline="always")
def _walk_towards(positions, velocity, table, types, i, j, dt):
    dx = positions[j, 0] - positions[i, 0]
    dy = positions[j, 1] - positions[i, 1]
    distance = math.sqrt(dx * dx + dy * dy)
    if distance > 1e-9:
        step = table[types[i], COL_SPEED] * dt
        velocity[i, 0] = dx / distance * step
        velocity[i, 1] = dy / distance * step


@dataclass
class BattleOutcome:
    """What one call of Battle.step produced: per side (0 allies, 1 enemies)."""

    damage_dealt: np.ndarray  # (2,) hit points + shields removed from the other side
    kills: np.ndarray  # (2,) units of the other side killed


class Battle:
    """One scenario's battle state and its step: `step(commands, targets, destinations, loops)`.

    Units are ordered allies first (agent order), then enemies. Commands are per unit: IDLE, MOVE
    (to `destinations[i]`) or ATTACK (unit `targets[i]`).
    """

    def __init__(self, scenario):
        self.scenario: Scenario = get_scenario(scenario)
        ids = unit_type_ids()
        self.table = unit_table()
        self.type_names = self.scenario.ally_types + self.scenario.enemy_types
        self.types = np.array([ids[name] for name in self.type_names], dtype=np.int64)
        self.teams = np.array([0] * self.scenario.num_allies + [1] * self.scenario.num_enemies, dtype=np.int64)
        self.num_allies, self.num_units = self.scenario.num_allies, len(self.types)
        self.commands = np.zeros(self.num_units, dtype=np.int64)
        self.targets = np.full(self.num_units, -1, dtype=np.int64)
        self.destinations = np.zeros((self.num_units, 2))
        # a scenario with spawn jitter needs randomness from the caller; until then, an unjittered start
        self.reset(np.random.default_rng(0) if self.scenario.spawn_jitter > 0 else None)

    def reset(self, rng: np.random.Generator | None = None) -> None:
        table = self.table
        self.positions = self.scenario.start_positions(rng).astype(np.float64)
        self.hit_points = table[self.types, COL_HIT_POINTS].copy()
        self.shields = table[self.types, COL_SHIELDS].copy()
        self.cooldowns = np.zeros(self.num_units)
        self.alive = np.ones(self.num_units, dtype=np.bool_)
        self.since_damage = np.zeros(self.num_units, dtype=np.int64)  # game loops since last damaged
        self.commands[:] = IDLE
        self.targets[:] = -1
        self.destinations[:] = self.positions
        self.game_loop = 0
        # the last HISTORY_LOOPS loops' positions and alive flags (a ring; history_next[0] = loops recorded)
        self.history_positions = np.zeros((HISTORY_LOOPS, self.num_units, 2))
        self.history_alive = np.zeros((HISTORY_LOOPS, self.num_units), dtype=np.bool_)
        self.history_next = np.zeros(1, dtype=np.int64)

    def recent_loops(self) -> tuple[np.ndarray, np.ndarray]:
        """(positions (T, units, 2), alive (T, units)) of the last T <= 255 loops, oldest first."""
        recorded = int(self.history_next[0])
        count = min(recorded, HISTORY_LOOPS)
        order = (np.arange(recorded - count, recorded)) % HISTORY_LOOPS
        return self.history_positions[order], self.history_alive[order]

    def step(self, loops: int = 8) -> BattleOutcome:
        """Advance `loops` game loops with the current commands."""
        damage, kills = np.zeros(2), np.zeros(2, dtype=np.int64)
        simulate_loops(int(loops), self.table, self.types, self.teams, self.positions, self.hit_points, self.shields,
                       self.cooldowns, self.alive, self.since_damage, self.commands, self.targets, self.destinations,
                       float(self.scenario.map_size), damage, kills, self.history_positions, self.history_alive,
                       self.history_next)
        self.game_loop += int(loops)
        return BattleOutcome(damage, kills)

    @property
    def allies_alive(self) -> np.ndarray:
        return self.alive[: self.num_allies]

    @property
    def enemies_alive(self) -> np.ndarray:
        return self.alive[self.num_allies:]

    def winner(self) -> int | None:
        """0 if every enemy is dead (allies win), 1 if every ally is dead, -1 if both, else None."""
        allies, enemies = bool(self.allies_alive.any()), bool(self.enemies_alive.any())
        if allies and enemies:
            return None
        if not allies and not enemies:
            return -1
        return 0 if allies else 1

    def max_health(self) -> np.ndarray:
        """(units,) hit points + shields at full health."""
        return self.table[self.types, COL_HIT_POINTS] + self.table[self.types, COL_SHIELDS]

    def unit_radius(self) -> np.ndarray:
        return self.table[self.types, COL_RADIUS]

    def weapon_range(self) -> np.ndarray:
        return self.table[self.types, COL_RANGE]
