"""Real StarCraft II replays -> StarCraftImage windows, without the game: `s2protocol` tracker events.

Where it sits: the StarCraft family (envsuite/starcraft/): the images of images.py, made from
`.SC2Replay` files; needs the `s2protocol` package (in the `sc2` and `dev` extras).

What a replay gives (s2protocol decodes the header, details, init data and tracker events):
- units appear with `SUnitBornEvent` / `SUnitInitEvent` (type name, controlling player, x, y in map
  cells), change type with `SUnitTypeChangeEvent`, die with `SUnitDiedEvent`;
- `SUnitPositionsEvent` reports the positions of units that dealt or took damage (m_items: index
  delta, x, y, in map cells on the shared replays; s2protocol's README scales them by 4 into the
  game's finer fixed-point units). Between events a unit keeps its last known position.
So each unit's history is a list of segments (type, owner, cell) over game-loop intervals.

Windows: consecutive windows of 255 frames of one game loop each (`stride` loops apart, 255 by
default), from loop 0 to the end of the game. A window's image holds, per pixel of a unit's channel,
the last frame (1..255) the unit was there: StarCraftImage's max_t(t * present_t). Players 1 and 2
are the replay's two players by player id; every other owner (0, the map's neutral units, 16, ...)
is neutral. Metadata per window: map, races, winner, window index, first game loop, and
StarCraftImage's label fields (map and beginning/end: whether the window starts in the first half).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from envsuite._numba_cache import njit
from envsuite.starcraft.images import (IMAGE_SIZE, NEUTRAL, PLAYER_1, PLAYER_2, WINDOW_FRAMES, channel_of,
                                       hyperspectral_channels)


class ReplayError(ValueError):
    """A replay cannot be read: not a replay, a damaged one (truncated, corrupted, a member missing), a
    build s2protocol does not decode, or no tracker events. The message names the file and the cause."""


@dataclass(frozen=True)
class ReplayInfo:
    path: str
    map_name: str
    build: int
    game_loops: int
    map_size: tuple[int, int]
    players: tuple[dict, ...]  # per player id 1, 2: name, race, result ("Win", "Loss", ...)
    winner: int | None  # 1, 2 or None (a tie or unknown)


@dataclass(frozen=True)
class UnitSegments:
    """Every unit's (hyperspectral channel, pixel x, pixel y) over game loops [start, end] inclusive."""

    channels: np.ndarray
    pixel_x: np.ndarray
    pixel_y: np.ndarray
    start: np.ndarray
    end: np.ndarray


_RESULTS = {1: "Win", 2: "Loss", 3: "Tie", 0: "Undecided"}

# A day of game time at the "faster" speed (22.4 game loops per second). A header that claims more
# is damaged, and replay_windows would otherwise allocate an image per 255 of those loops.
MAX_GAME_LOOPS = 1_935_360


def _protocol_and_archive(path: Path):
    try:
        import mpyq
        from s2protocol import versions
    except ImportError as error:
        raise ImportError("reading replays needs s2protocol: pip install 'envsuite[sc2]' (or s2protocol)") from error
    if not path.is_file():
        raise FileNotFoundError(f"no replay at {path}")
    try:
        archive = mpyq.MPQArchive(str(path))
        header = versions.latest().decode_replay_header(archive.header["user_data_header"]["content"])
        build = int(header["m_version"]["m_baseBuild"])
    except Exception as error:  # mpyq and s2protocol raise many kinds on a file that is not a replay
        raise ReplayError(f"{path} is not a StarCraft II replay ({type(error).__name__}: {error})") from None
    try:
        protocol = versions.build(build)
    except Exception:
        raise ReplayError(f"{path} was recorded with game build {build}, which s2protocol {_s2protocol_version()} "
                          "cannot decode; upgrade s2protocol (pip install -U s2protocol)") from None
    return protocol, archive, header, build


def _s2protocol_version() -> str:
    # The distribution's version: s2protocol.__version__ is an internal tuple (DESIGN.md section 7).
    from importlib import metadata

    try:
        return metadata.version("s2protocol")
    except metadata.PackageNotFoundError:  # imported from a source tree, not installed
        return "(version unknown)"


def _member(archive, path: Path, name: str) -> bytes:
    """One file of the replay's MPQ archive; mpyq returns None for a member that is not there."""
    content = archive.read_file(name)
    if content is None:
        raise ReplayError(f"{path} has no {name} in its archive (a damaged or incomplete replay)")
    return content



def read_replay(path) -> tuple[ReplayInfo, UnitSegments]:
    """The replay's metadata and the unit segments of its tracker events (module docstring).

    Raises ReplayError, naming the file and the cause, for any file that cannot be read as a replay:
    not an MPQ archive, a missing member, a truncated or corrupted stream, an unsupported build.
    """
    path = Path(path)
    protocol, archive, header, build = _protocol_and_archive(path)
    try:
        return _decode(protocol, archive, header, build, path)
    except ReplayError:
        raise
    except Exception as error:
        # A damaged archive fails anywhere in mpyq (OSError "Invalid data stream" from bz2, zlib.error),
        # in s2protocol's decoders (TruncatedError, CorruptedError, KeyError, TypeError, IndexError) or
        # on the nonsense values it decodes; none of those names the file.
        raise ReplayError(f"{path} is damaged: {type(error).__name__}: {error}") from error


def _decode(protocol, archive, header, build, path: Path) -> tuple[ReplayInfo, UnitSegments]:
    details = protocol.decode_replay_details(_member(archive, path, "replay.details"))
    init = protocol.decode_replay_initdata(_member(archive, path, "replay.initdata"))
    description = init["m_syncLobbyState"]["m_gameDescription"]
    map_size = (int(description["m_mapSizeX"]), int(description["m_mapSizeY"]))
    if min(map_size) < 1:
        raise ReplayError(f"{path} is damaged: its map is {map_size[0]} x {map_size[1]} cells")
    players = tuple({"name": _text(p["m_name"]), "race": _text(p["m_race"]), "result": _RESULTS.get(p["m_result"], "?")}
                    for p in details["m_playerList"][:2])
    winners = [i + 1 for i, p in enumerate(players) if p["result"] == "Win"]
    game_loops = int(header["m_elapsedGameLoops"])
    if not 0 <= game_loops <= MAX_GAME_LOOPS:
        raise ReplayError(f"{path} is damaged: its header says the game lasted {game_loops} game loops "
                          f"(more than a day, {MAX_GAME_LOOPS})")
    tracker = archive.read_file("replay.tracker.events")
    if not tracker:
        raise ReplayError(f"{path} has no tracker events (replays before game version 2.0.8 lack them)")
    info = ReplayInfo(str(path), _text(details["m_title"]), build, game_loops, map_size, players,
                      winners[0] if len(winners) == 1 else None)
    return info, _segments(protocol.decode_replay_tracker_events(tracker), map_size, game_loops)


def _text(value) -> str:
    """Replay strings are UTF-8 bytes; player names carry HTML escapes and <sp/> for clan-tag spaces."""
    import html

    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return html.unescape(text.replace("<sp/>", " "))


def _segments(events, map_size, game_loops) -> UnitSegments:
    """Walk the tracker events and cut each unit's life into constant (channel, cell) segments."""
    scale = IMAGE_SIZE / max(map_size)  # images.pixel_of's scaling, per coordinate without an array per event
    live: dict[int, list] = {}  # unit index -> [channel, x, y, since loop, type name, owner]
    rows: list[tuple[int, int, int, int, int]] = []

    def close(index, loop):
        channel, px, py, since = live[index][:4]
        if loop >= since:
            rows.append((channel, px, py, since, loop))

    def place(index, loop, name, owner, x, y):
        px, py = (min(max(int(math.floor(v * scale)), 0), IMAGE_SIZE - 1) for v in (x, y))
        owner = owner if owner in (PLAYER_1, PLAYER_2) else NEUTRAL
        live[index] = [channel_of(name, owner), int(px), int(py), loop, name, owner]

    for event in events:
        kind, loop = event["_event"], int(event["_gameloop"])
        if kind in ("NNet.Replay.Tracker.SUnitBornEvent", "NNet.Replay.Tracker.SUnitInitEvent"):
            index = int(event["m_unitTagIndex"])
            if index in live:
                close(index, loop - 1)
            place(index, loop, _text(event["m_unitTypeName"]), int(event["m_controlPlayerId"]), event["m_x"], event["m_y"])
        elif kind == "NNet.Replay.Tracker.SUnitDiedEvent":
            index = int(event["m_unitTagIndex"])
            if index in live:
                close(index, loop - 1)
                del live[index]
        elif kind == "NNet.Replay.Tracker.SUnitTypeChangeEvent":
            index = int(event["m_unitTagIndex"])
            if index in live:
                close(index, loop - 1)
                _, px, py, _, _, owner = live[index]
                live[index] = [channel_of(_text(event["m_unitTypeName"]), owner), px, py, loop,
                               _text(event["m_unitTypeName"]), owner]
        elif kind == "NNet.Replay.Tracker.SUnitPositionsEvent":
            index = int(event["m_firstUnitIndex"])
            items = event["m_items"]
            for i in range(0, len(items), 3):
                index += int(items[i])
                if index in live:
                    close(index, loop - 1)
                    name, owner = live[index][4], live[index][5]
                    place(index, loop, name, owner, items[i + 1], items[i + 2])
    for index in list(live):
        close(index, game_loops)
    table = np.array(rows, dtype=np.int64).reshape(-1, 5)
    return UnitSegments(table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy(), table[:, 3].copy(),
                        table[:, 4].copy())


@njit(cache=True)
def write_windows(images, first_loops, frames_per_window, channels, pixel_x, pixel_y, start, end):
    """images (W, C, 64, 64) uint8: for window w starting at first_loops[w], each segment overlapping
    its frames [first, first + frames - 1] marks its pixel with the last overlapping frame number."""
    for s in range(channels.shape[0]):
        for w in range(first_loops.shape[0]):
            first = first_loops[w]
            last = first + frames_per_window - 1
            if end[s] < first or start[s] > last:
                continue
            value = min(end[s], last) - first + 1
            if images[w, channels[s], pixel_x[s], pixel_y[s]] < value:
                images[w, channels[s], pixel_x[s], pixel_y[s]] = value


def replay_windows(path, stride: int = WINDOW_FRAMES) -> tuple[np.ndarray, list[dict]]:
    """(W, 384, 64, 64) uint8 hyperspectral windows of a replay, and one metadata dict per window."""
    if stride < 1:
        raise ValueError(f"stride must be >= 1 game loop, got {stride}")
    info, segments = read_replay(path)
    first_loops = np.arange(0, max(info.game_loops - WINDOW_FRAMES + 1, 1), stride, dtype=np.int64)
    images = np.zeros((len(first_loops), len(hyperspectral_channels()), IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    write_windows(images, first_loops, WINDOW_FRAMES, segments.channels, segments.pixel_x, segments.pixel_y,
                  segments.start, segments.end)
    races = tuple(player["race"] for player in info.players)
    metadata = [{"replay": Path(info.path).name, "map_name": info.map_name, "build": info.build,
                 "player_1_race": races[0] if races else "", "player_2_race": races[1] if len(races) > 1 else "",
                 "winner": info.winner if info.winner is not None else 0, "window_index": w,
                 "first_game_loop": int(first), "game_loops": info.game_loops,
                 "phase": "Beginning" if first + WINDOW_FRAMES / 2 < info.game_loops / 2 else "End"}
                for w, first in enumerate(first_loops)]
    return images, metadata
