"""Micro-battle scenarios: which units each side has, where they start, how long an episode lasts.

Where it sits: the StarCraft family (envsuite/starcraft/); the simulator places a scenario's units,
the envs name scenarios by id (`envsuite/StarCraftMicro-<scenario>-v0`).

The built-in scenarios are SMAC's (Samvelyan et al. 2019) with SMAC's episode limits (in env steps
of 8 game loops): 3m, 8m, 2s3z, 3s5z, 5m_vs_6m, 10m_vs_11m, 3s_vs_5z. As in SMAC's maps, the two
armies start in loose groups facing each other across a 32 x 32 map; the exact SMAC start positions
come from the map files, which need the game, so envsuite's layout (below) is its own.

User-defined scenarios come from data: `Scenario.from_dict({"name": ..., "allies": {"marine": 3},
"enemies": {"zergling": 6}, "episode_limit": 100})` or a TOML file with those keys
(`load_scenario(path)`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from envsuite.starcraft.units import unit_types

MAP_SIZE = 32.0


@dataclass(frozen=True)
class Scenario:
    name: str
    allies: tuple[tuple[str, int], ...]  # (unit type, count), in agent order
    enemies: tuple[tuple[str, int], ...]
    episode_limit: int
    map_size: float = MAP_SIZE
    start_distance: float = 10.0  # distance between the two armies' centres
    spawn_jitter: float = 0.0  # uniform position noise at reset (0: the same start every episode)
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        known = unit_types()
        for side, units in (("allies", self.allies), ("enemies", self.enemies)):
            if not units or sum(count for _, count in units) < 1:
                raise ValueError(f"scenario {self.name!r}: {side} must have at least one unit")
            for unit, count in units:
                if unit not in known:
                    raise ValueError(f"scenario {self.name!r}: unknown unit type {unit!r}; known: {sorted(known)}")
                if int(count) != count or count < 1:
                    raise ValueError(f"scenario {self.name!r}: unit counts must be positive integers, got {unit}={count}")
        if self.episode_limit < 1:
            raise ValueError(f"scenario {self.name!r}: episode_limit must be >= 1")
        if not 0 < self.start_distance < self.map_size:
            raise ValueError(f"scenario {self.name!r}: start_distance must lie in (0, map_size)")

    @property
    def ally_types(self) -> list[str]:
        return [unit for unit, count in self.allies for _ in range(count)]

    @property
    def enemy_types(self) -> list[str]:
        return [unit for unit, count in self.enemies for _ in range(count)]

    @property
    def num_allies(self) -> int:
        return len(self.ally_types)

    @property
    def num_enemies(self) -> int:
        return len(self.enemy_types)

    def start_positions(self, rng: np.random.Generator | None = None) -> np.ndarray:
        """(allies + enemies, 2) start positions: each army in a grid around its centre, facing the other."""
        centre = np.array([self.map_size / 2, self.map_size / 2])
        offset = np.array([self.start_distance / 2, 0.0])
        positions = np.concatenate([_formation(self.num_allies, centre - offset),
                                    _formation(self.num_enemies, centre + offset)])
        if self.spawn_jitter > 0:
            if rng is None:
                raise ValueError(f"scenario {self.name!r} has spawn_jitter: start_positions needs an rng")
            positions = positions + rng.uniform(-self.spawn_jitter, self.spawn_jitter, positions.shape)
        return np.clip(positions, 0.0, self.map_size)

    @classmethod
    def from_dict(cls, data: dict) -> "Scenario":
        def units(key):
            value = data.get(key)
            if not isinstance(value, dict):
                raise ValueError(f"scenario {data.get('name')!r}: {key} must be a table of unit type = count")
            return tuple((str(unit), int(count)) for unit, count in value.items())

        if "name" not in data:
            raise ValueError("a scenario needs a name")
        return cls(name=str(data["name"]), allies=units("allies"), enemies=units("enemies"),
                   episode_limit=int(data.get("episode_limit", 150)), map_size=float(data.get("map_size", MAP_SIZE)),
                   start_distance=float(data.get("start_distance", 10.0)),
                   spawn_jitter=float(data.get("spawn_jitter", 0.0)))


def _formation(count: int, centre: np.ndarray, spacing: float = 1.5) -> np.ndarray:
    """`count` positions in columns of at most 4 (along y), centred on `centre`."""
    rows = min(count, 4)
    columns = -(-count // rows)
    index = np.arange(count)
    column, row = index // rows, index % rows
    x = (column - (columns - 1) / 2) * spacing
    y = (row - (np.minimum(rows, count - column * rows) - 1) / 2) * spacing
    return centre + np.stack([x, y], axis=1)


# SMAC's scenarios and episode limits (smac/env/starcraft2/maps/smac_maps.py).
SCENARIOS = {
    scenario.name: scenario for scenario in (
        Scenario("3m", (("marine", 3),), (("marine", 3),), episode_limit=60),
        Scenario("8m", (("marine", 8),), (("marine", 8),), episode_limit=120),
        Scenario("2s3z", (("stalker", 2), ("zealot", 3)), (("stalker", 2), ("zealot", 3)), episode_limit=120),
        Scenario("3s5z", (("stalker", 3), ("zealot", 5)), (("stalker", 3), ("zealot", 5)), episode_limit=150),
        Scenario("5m_vs_6m", (("marine", 5),), (("marine", 6),), episode_limit=70),
        Scenario("10m_vs_11m", (("marine", 10),), (("marine", 11),), episode_limit=150),
        Scenario("3s_vs_5z", (("stalker", 3),), (("zealot", 5),), episode_limit=250),
    )
}


def get_scenario(name_or_scenario) -> Scenario:
    if isinstance(name_or_scenario, Scenario):
        return name_or_scenario
    if isinstance(name_or_scenario, dict):
        return Scenario.from_dict(name_or_scenario)
    if name_or_scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {name_or_scenario!r}; built in: {sorted(SCENARIOS)} "
                         "(or pass a Scenario, a dict or load_scenario(path))")
    return SCENARIOS[name_or_scenario]


def load_scenario(path) -> Scenario:
    """A scenario from a TOML file with name, [allies], [enemies] and optionally episode_limit, map_size, ..."""
    path = Path(path)
    with open(path, "rb") as f:
        try:
            data = tomllib.load(f)
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path} is not valid TOML ({error})") from None
    return Scenario.from_dict(data)
