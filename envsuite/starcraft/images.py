"""StarCraftImage's image formats: a window of up to 255 game frames summarised as one image.

Where it sits: the StarCraft family (envsuite/starcraft/); the simulator's battles and real replays
(replay.py, to come) are turned into these images, for the image observations and datasets.

Summary (StarCraftImage, Kulinski et al. 2023): for frame t = 1 .. 255 of a window, a pixel of a
unit's channel holds max_t(t * present_t), the last frame the unit was there (0: never), uint8.

- hyperspectral: (384, 64, 64) uint8, indexed [channel, x, y] as StarCraftImage's tensors are.
  Channels: player 1's 170 (`(No Unit)`, `(Unknown)`, then the Terran, Protoss and Zerg unit type
  names of assets/starcraft/starcraftimage_unit_types.toml in alphabetical order), player 2's 170 in
  the same order, then the neutral block's 44 (`(No Unit)`, `(Unknown)`, neutral names sorted).
- rgb: (32, 32, 3) uint8 (CIFAR's layout, [x, y, colour]): R = player 2, G = neutral, B = player 1,
  each the maximum over that block's unit channels, resized from 64 as StarCraftImage resizes
  (pixel i -> floor(scale * (i + 0.5)), the maximum where pixels merge).
- grayscale: (28, 28) uint8 (MNIST's size): player 1 bright (170-255), neutral mid (85-170), player 2
  dark (1-85), 0 where nothing was; a later frame is brighter within its band; where they overlap the
  brightest wins. StarCraftImage's own MNIST conversion code is not published; this banding is
  envsuite's reading of "player 1 bright, player 2 dark, neutral mid".
Positions: pixel = floor(coordinate * 64 / max(map width, map height)), clipped to 0..63.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache

import numpy as np

from envsuite import paths
from envsuite._numba_cache import njit

IMAGE_SIZE = 64
WINDOW_FRAMES = 255
SPECIAL_CHANNELS = ("(No Unit)", "(Unknown)")
PLAYER_1, PLAYER_2, NEUTRAL = 1, 2, 0  # owners (StarCraft II's player ids; 0 for neutral units)


@lru_cache(maxsize=1)
def _unit_type_table() -> dict[str, list[tuple[str, int]]]:
    with open(paths.asset_path("starcraft", "starcraftimage_unit_types.toml"), "rb") as f:
        data = tomllib.load(f)
    return {race: [(name, int(type_id)) for name, type_id in entries] for race, entries in data.items()}


@lru_cache(maxsize=1)
def nonneutral_channels() -> tuple[str, ...]:
    """Channel names of one player's block (170): the specials, then Terran/Protoss/Zerg names sorted."""
    table = _unit_type_table()
    names = [name for race in ("terran", "protoss", "zerg") for name, _ in table[race]]
    return SPECIAL_CHANNELS + tuple(sorted(names))


@lru_cache(maxsize=1)
def neutral_channels() -> tuple[str, ...]:
    return SPECIAL_CHANNELS + tuple(sorted(name for name, _ in _unit_type_table()["neutral"]))


def hyperspectral_channels() -> tuple[str, ...]:
    """All 384 channel names, `player_1/<name>`, `player_2/<name>`, `neutral/<name>`, in image order."""
    return (tuple(f"player_1/{n}" for n in nonneutral_channels()) + tuple(f"player_2/{n}" for n in nonneutral_channels())
            + tuple(f"neutral/{n}" for n in neutral_channels()))


@lru_cache(maxsize=1)
def _lookup() -> dict[str, tuple[bool, int]]:
    """Unit name (StarCraftImage's 'TERRAN_MARINE', the game's 'Marine', any case) -> (neutral?, channel in block)."""
    lookup: dict[str, tuple[bool, int]] = {}
    for neutral, channels in ((False, nonneutral_channels()), (True, neutral_channels())):
        for channel, name in enumerate(channels):
            if channel < len(SPECIAL_CHANNELS):
                continue
            lookup[name.lower()] = (neutral, channel)
            short = name.split("_", 1)[1].lower()
            lookup.setdefault(short, (neutral, channel))  # 'marine' (a race prefix never clashes here)
    return lookup


def channel_of(unit_name: str, owner: int) -> int:
    """The hyperspectral channel (0..383) of a unit of this name and owner; unknown names go to
    the owner's `(Unknown)` channel, as StarCraftImage files unlisted types."""
    if owner not in (PLAYER_1, PLAYER_2, NEUTRAL):
        raise ValueError(f"owner must be 1, 2 (players) or 0 (neutral), got {owner}")
    entry = _lookup().get(unit_name.lower().replace(" ", ""))
    block_size = len(nonneutral_channels())
    if owner == NEUTRAL:
        channel = entry[1] if entry is not None and entry[0] else 1
        return 2 * block_size + channel
    channel = entry[1] if entry is not None and not entry[0] else 1
    return (owner - 1) * block_size + channel


def pixel_of(coordinates: np.ndarray, map_width: float, map_height: float) -> np.ndarray:
    """Map coordinates (..., 2) -> 64 x 64 pixel indices (..., 2) int64, StarCraftImage's scaling."""
    scale = IMAGE_SIZE / max(float(map_width), float(map_height))
    return np.clip(np.floor(np.asarray(coordinates, dtype=np.float64) * scale), 0, IMAGE_SIZE - 1).astype(np.int64)


@njit(cache=True)
def accumulate_frame(image, frame, channels, pixels):
    """image[channel, x, y] = max(image, frame) for every unit present in this frame (1..255)."""
    for u in range(channels.shape[0]):
        c, x, y = channels[u], pixels[u, 0], pixels[u, 1]
        if image[c, x, y] < frame:
            image[c, x, y] = frame


class WindowSummary:
    """Accumulates up to 255 frames of unit positions into a hyperspectral window image."""

    def __init__(self):
        self.image = np.zeros((len(hyperspectral_channels()), IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
        self.frames = 0

    def add_frame(self, channels: np.ndarray, pixels: np.ndarray) -> None:
        """One frame: the hyperspectral channel (N,) and 64 x 64 pixel (N, 2) of each unit present."""
        if self.frames >= WINDOW_FRAMES:
            raise ValueError(f"a window holds {WINDOW_FRAMES} frames; start a new WindowSummary")
        self.frames += 1
        channels = np.ascontiguousarray(channels, dtype=np.int64)
        pixels = np.ascontiguousarray(pixels, dtype=np.int64)
        if len(channels) != len(pixels) or (len(pixels) and pixels.shape[1] != 2):
            raise ValueError(f"channels ({len(channels)}) and pixels {pixels.shape} must describe the same units")
        if len(channels):
            if channels.min() < 0 or channels.max() >= self.image.shape[0]:
                raise ValueError(f"channels must lie in 0..{self.image.shape[0] - 1}")
            if pixels.min() < 0 or pixels.max() >= IMAGE_SIZE:
                raise ValueError(f"pixels must lie in 0..{IMAGE_SIZE - 1} (use pixel_of)")
        accumulate_frame(self.image, np.uint8(self.frames), channels, pixels)


def _block_maxima(hyperspectral: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(player 1, player 2, neutral) (64, 64) maxima over each block's channels ((No Unit) is never set)."""
    block = len(nonneutral_channels())
    return (hyperspectral[:block].max(axis=0), hyperspectral[block:2 * block].max(axis=0),
            hyperspectral[2 * block:].max(axis=0))


@njit(cache=True)
def resize_max(image, size):
    """(64, 64) -> (size, size) uint8: pixel i goes to floor(size / 64 * (i + 0.5)); merged pixels keep the maximum."""
    out = np.zeros((size, size), dtype=np.uint8)
    scale = size / image.shape[0]
    for i in range(image.shape[0]):
        a = int(np.floor(scale * (i + 0.5)))
        for j in range(image.shape[1]):
            b = int(np.floor(scale * (j + 0.5)))
            if image[i, j] > out[a, b]:
                out[a, b] = image[i, j]
    return out


def to_rgb(hyperspectral: np.ndarray, size: int = 32) -> np.ndarray:
    """(size, size, 3) uint8: R = player 2, G = neutral, B = player 1."""
    player_1, player_2, neutral = _block_maxima(hyperspectral)
    return np.stack([resize_max(player_2, size), resize_max(neutral, size), resize_max(player_1, size)], axis=-1)


FORMAT_SHAPES = {"hyperspectral": (384, 64, 64), "rgb": (32, 32, 3), "grayscale": (28, 28)}


def in_format(hyperspectral: np.ndarray, image_format: str) -> np.ndarray:
    """A hyperspectral window in one of the three formats (FORMAT_SHAPES)."""
    if image_format == "hyperspectral":
        return hyperspectral
    if image_format == "rgb":
        return to_rgb(hyperspectral)
    if image_format == "grayscale":
        return to_grayscale(hyperspectral)
    raise ValueError(f"image_format must be one of {sorted(FORMAT_SHAPES)}, got {image_format!r}")


def to_grayscale(hyperspectral: np.ndarray, size: int = 28) -> np.ndarray:
    """(size, size) uint8: player 1 in 170-255, neutral in 85-170, player 2 in 1-85 (module docstring)."""
    player_1, player_2, neutral = (resize_max(block, size).astype(np.float64) for block in _block_maxima(hyperspectral))
    bands = [np.where(v > 0, low + v * 85.0 / 255.0, 0.0) for v, low in ((player_2, 0.0), (neutral, 85.0), (player_1, 170.0))]
    gray = np.maximum.reduce(bands)
    return np.where(gray > 0, np.maximum(np.round(gray), 1), 0).astype(np.uint8)


@njit(cache=True)
def _accumulate_history(image, channels, pixels, alive):
    """frames (T, units) of pixels/alive -> image[channel, x, y] = last frame (1..T) a unit was there."""
    for t in range(alive.shape[0]):
        for u in range(alive.shape[1]):
            if alive[t, u]:
                c, x, y = channels[u], pixels[t, u, 0], pixels[t, u, 1]
                if image[c, x, y] < t + 1:
                    image[c, x, y] = t + 1


def battle_channels(battle) -> np.ndarray:
    """(units,) hyperspectral channel of each unit of a Battle (allies player 1, enemies player 2),
    computed once per battle: its units never change type."""
    if getattr(battle, "_image_channels", None) is None:
        battle._image_channels = np.array([channel_of(name, PLAYER_1 if team == 0 else PLAYER_2)
                                           for name, team in zip(battle.type_names, battle.teams)], dtype=np.int64)
    return battle._image_channels


def battle_window(battle) -> np.ndarray:
    """(384, 64, 64) uint8: the StarCraftImage window of a simulator Battle's last 255 game loops (or
    fewer, early on), allies as player 1 and enemies as player 2."""
    positions, alive = battle.recent_loops()
    size = float(battle.scenario.map_size)
    channels = battle_channels(battle)
    image = np.zeros((len(hyperspectral_channels()), IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    if len(alive):
        _accumulate_history(image, channels, pixel_of(positions, size, size), alive)
    return image


def battle_frame(battle, map_size: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(channels, pixels) of a simulator Battle's live units: allies as player 1, enemies as player 2."""
    size = float(map_size if map_size is not None else battle.scenario.map_size)
    live = np.flatnonzero(battle.alive)
    return battle_channels(battle)[live], pixel_of(battle.positions[live], size, size)


@lru_cache(maxsize=1)
def unit_type_names_by_id() -> dict[int, str]:
    """StarCraft II unit type id -> StarCraftImage's name ('TERRAN_MARINE'), for pysc2's unit_type layer."""
    return {type_id: name for entries in _unit_type_table().values() for name, type_id in entries}
