"""StarCraft II unit types for the micro-battle simulator: stats from assets/starcraft/units.toml.

Where it sits: the StarCraft family's data layer (envsuite/starcraft/). The simulator
(simulator.py) reads the numeric table `unit_table()` (one row per type, columns named by the COL_*
constants) inside its numba kernels; scenarios (scenarios.py) name units by type.

Damage (StarCraft II's rule, per hit): raw = damage + bonus (if the target has the bonus attribute);
shields absorb raw damage first (shield armor 0); what exceeds the shields is reduced by the
target's armor, to at least 0.5. Protoss shields regenerate 2 per second after 10 s without damage.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from envsuite import paths

ATTRIBUTES = ("light", "armored", "biological", "mechanical", "massive")
ATTRIBUTE_BIT = {name: 1 << i for i, name in enumerate(ATTRIBUTES)}
TARGETS = ("ground", "air", "both")

GAME_LOOPS_PER_SECOND = 22.4  # "faster" game speed
SHIELD_REGEN_DELAY = 10.0  # seconds without damage before shields regenerate
SHIELD_REGEN_RATE = 2.0  # shield points per second

# Columns of unit_table()
(COL_HIT_POINTS, COL_SHIELDS, COL_ARMOR, COL_RADIUS, COL_SPEED, COL_SIGHT, COL_FLYING, COL_ATTRIBUTES,
 COL_DAMAGE, COL_HITS, COL_BONUS, COL_BONUS_ATTRIBUTE, COL_COOLDOWN, COL_RANGE, COL_HITS_GROUND, COL_HITS_AIR,
 COL_SPLASH, COL_SUICIDE, COL_HEAL_RATE, COL_HEAL_RANGE) = range(20)
NUM_COLUMNS = 20


@dataclass(frozen=True)
class Weapon:
    damage: float
    hits: int
    bonus: float
    bonus_attribute: str
    cooldown: float
    range: float
    targets: str
    splash: float = 0.0
    suicide: bool = False


@dataclass(frozen=True)
class UnitType:
    name: str
    race: str
    attributes: tuple[str, ...]
    hit_points: float
    shields: float
    armor: float
    radius: float
    speed: float
    sight: float
    flying: bool
    weapon: Weapon | None
    heal_per_second: float = 0.0
    heal_range: float = 0.0


@lru_cache(maxsize=1)
def unit_types() -> dict[str, UnitType]:
    """Every unit type of assets/starcraft/units.toml, by name (sorted: the type ids are this order)."""
    with open(paths.asset_path("starcraft", "units.toml"), "rb") as f:
        data = tomllib.load(f)
    types = {}
    for name in sorted(data):
        entry = dict(data[name])
        where = f"assets/starcraft/units.toml [{name}]"
        unknown = [a for a in entry.get("attributes", []) if a not in ATTRIBUTE_BIT]
        if unknown:
            raise ValueError(f"{where}: unknown attributes {unknown}; known: {list(ATTRIBUTES)}")
        weapon = None
        if "weapon" in entry:
            spec = dict(entry["weapon"])
            if spec.get("targets") not in TARGETS:
                raise ValueError(f"{where}: weapon targets must be one of {TARGETS}")
            if spec.get("bonus_attribute") and spec["bonus_attribute"] not in ATTRIBUTE_BIT:
                raise ValueError(f"{where}: unknown bonus_attribute {spec['bonus_attribute']!r}")
            weapon = Weapon(**spec)
        types[name] = UnitType(
            name=name, race=entry["race"], attributes=tuple(entry.get("attributes", ())),
            hit_points=float(entry["hit_points"]), shields=float(entry.get("shields", 0)),
            armor=float(entry.get("armor", 0)), radius=float(entry["radius"]), speed=float(entry["speed"]),
            sight=float(entry["sight"]), flying=bool(entry.get("flying", False)), weapon=weapon,
            heal_per_second=float(entry.get("heal_per_second", 0.0)), heal_range=float(entry.get("heal_range", 0.0)))
    return types


def unit_type_ids() -> dict[str, int]:
    return {name: i for i, name in enumerate(unit_types())}


@lru_cache(maxsize=1)
def unit_table() -> np.ndarray:
    """(num types, NUM_COLUMNS) float64: the numbers the simulator's kernels read."""
    types = unit_types()
    table = np.zeros((len(types), NUM_COLUMNS))
    for row, unit in enumerate(types.values()):
        table[row, COL_HIT_POINTS] = unit.hit_points
        table[row, COL_SHIELDS] = unit.shields
        table[row, COL_ARMOR] = unit.armor
        table[row, COL_RADIUS] = unit.radius
        table[row, COL_SPEED] = unit.speed
        table[row, COL_SIGHT] = unit.sight
        table[row, COL_FLYING] = float(unit.flying)
        table[row, COL_ATTRIBUTES] = sum(ATTRIBUTE_BIT[a] for a in unit.attributes)
        table[row, COL_HEAL_RATE] = unit.heal_per_second
        table[row, COL_HEAL_RANGE] = unit.heal_range
        weapon = unit.weapon
        if weapon is not None:
            table[row, COL_DAMAGE] = weapon.damage
            table[row, COL_HITS] = weapon.hits
            table[row, COL_BONUS] = weapon.bonus
            table[row, COL_BONUS_ATTRIBUTE] = ATTRIBUTE_BIT.get(weapon.bonus_attribute, 0)
            table[row, COL_COOLDOWN] = weapon.cooldown
            table[row, COL_RANGE] = weapon.range
            table[row, COL_HITS_GROUND] = float(weapon.targets in ("ground", "both"))
            table[row, COL_HITS_AIR] = float(weapon.targets in ("air", "both"))
            table[row, COL_SPLASH] = weapon.splash
            table[row, COL_SUICIDE] = float(weapon.suicide)
    table.flags.writeable = False
    return table


def hit_damage(unit_type: str, target_type: str, shields: float) -> tuple[float, float]:
    """(shield damage, hit point damage) of one hit of `unit_type` on `target_type` with `shields`
    left: the damage rule of the module docstring, in plain Python (the oracle of the kernel)."""
    attacker, target = unit_types()[unit_type], unit_types()[target_type]
    if attacker.weapon is None:
        raise ValueError(f"{unit_type} has no weapon")
    raw = attacker.weapon.damage
    if attacker.weapon.bonus_attribute and attacker.weapon.bonus_attribute in target.attributes:
        raw += attacker.weapon.bonus
    if shields >= raw:
        return raw, 0.0
    return shields, max(raw - shields - target.armor, 0.5)
