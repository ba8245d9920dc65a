"""A top-down picture of a battle (render_mode="rgb_array"): allies blue, enemies red, brighter = healthier.

Where it sits: the StarCraft family (envsuite/starcraft/), used by the envs' render(). Plain numpy
(no window, no OpenGL): each live unit is a filled disc of its radius on a dark map.
"""

from __future__ import annotations

import numpy as np

ALLY_COLOUR = np.array([60, 110, 255], dtype=np.float64)
ENEMY_COLOUR = np.array([255, 70, 60], dtype=np.float64)


def render_battle(battle, size: int = 256) -> np.ndarray:
    """(size, size, 3) uint8, y up (row 0 is the map's top edge)."""
    image = np.full((size, size, 3), 30, dtype=np.uint8)
    scale = size / battle.scenario.map_size
    rows, columns = np.mgrid[0:size, 0:size]
    health = (battle.hit_points + battle.shields) / battle.max_health()
    radii = battle.unit_radius()
    for unit in np.flatnonzero(battle.alive):
        x, y = battle.positions[unit]
        centre_column, centre_row = x * scale, (battle.scenario.map_size - y) * scale
        radius = max(radii[unit] * scale, 1.5)
        disc = (columns + 0.5 - centre_column) ** 2 + (rows + 0.5 - centre_row) ** 2 <= radius**2
        colour = ALLY_COLOUR if battle.teams[unit] == 0 else ENEMY_COLOUR
        image[disc] = (colour * (0.35 + 0.65 * health[unit])).astype(np.uint8)
    return image
