"""Real StarCraft II replays -> StarCraftImage windows, without the game: `s2protocol` tracker events.

Where it sits: the StarCraft family (envsuite/starcraft/): the images of images.py, made from
`.SC2Replay` files; needs the `s2protocol` package (in the `sc2` and `dev` extras).

What a replay gives (s2protocol decodes the header, details, init data and tracker events):
- units appear with `SUnitBornEvent` / `SUnitInitEvent` (type name, controlling player, x, y in map
  cells), change type with `SUnitTypeChangeEvent`, change owner with `SUnitOwnerChangeEvent` (a
  neural parasite, a captured tower), die with `SUnitDiedEvent`;
- `SUnitPositionsEvent` reports the positions of units that dealt or took damage (m_items: index
  delta, x, y, in map cells on the shared replays; s2protocol's README scales them by 4 into the
  game's finer fixed-point units). Between events a unit keeps its last known position.
So each unit's history is a list of segments (type, owner, cell) over game-loop intervals.

Sides (StarCraftImage's images have two player blocks, "player 1" and "player 2"): player 1 is the
team of the replay's first player (the lowest player id in replay.details' player list, which lists
players, not observers, in player id order), player 2 the other team. Every player goes to its team's
side: in a 2v2, a co-op game or with AI allies, player 1's partners are player 1 too. Observers
(m_observe) are no side and own no units. A game of more than two teams (a free-for-all) has no two
sides: ReplayError. Owner 0 (and 16, unless listed) is the map's neutral units; a unit of any other
player id that replay.details does not list is refused (ReplayError) rather than filed under neutral.

Unit types: a name in StarCraftImage's table goes to its channel (images.channel_of). Neutral map
objects the table lacks by name (rock and debris sizes, ramp rocks, mineral and geyser variants) go to
the listed channel of the same kind, by the name patterns of _NEUTRAL_KINDS. Beacons (BeaconArmy,
BeaconRally, ...: 15 map markers per player, at its start location for the whole game, never shown on
the map) have no StarCraftImage channel and are not things on the map: they are left out of the
images and counted per window (metadata "marker_segments"). Every other unlisted name goes to its
owner's `(Unknown)` channel, as StarCraftImage files unlisted types, and is counted per window
("unclassified_segments"). Nothing is dropped without a count.

Time: the header's m_elapsedGameLoops, L, is the game's length; its frames are game loops 0 .. L - 1
(tracker events may carry loop L, the instant the game ended; nothing is drawn for it). Windows:
consecutive windows of 255 frames (`stride` loops apart, 255 by default) that lie within the game; a
game shorter than one window gives one window of its L frames, a game of 0 loops none. A window's
image holds, per pixel of a unit's channel, the last frame (1..255) of the window the unit was there:
StarCraftImage's max_t(t * present_t); so no value exceeds L. Metadata per window: map, races (a
side's races joined by "+"), winner (the winning side), window index, first game loop, the frames it
covers, the counts above, and StarCraftImage's label fields (map and phase: "Beginning" when the
middle of the window's frames lies before the middle of the game, else "End"; the first window is
always "Beginning", so a game of one window is its own beginning).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from envsuite._numba_cache import njit
from envsuite.starcraft.images import (IMAGE_SIZE, NEUTRAL, WINDOW_FRAMES, channel_of, hyperspectral_channels,
                                       nonneutral_channels)


class ReplayError(ValueError):
    """A replay cannot be read: not a replay, a damaged one (truncated, corrupted, a member missing), a
    build s2protocol does not decode, no tracker events, or players that cannot be made into
    StarCraftImage's two sides. The message names the file and the cause."""


@dataclass(frozen=True)
class ReplayInfo:
    path: str
    map_name: str
    build: int
    game_loops: int
    map_size: tuple[int, int]
    # per player of replay.details, in player id order: name, race, result ("Win", "Loss", ...),
    # player_id, team (the replay's team id) and side (1: player 1's team, 2: the other team)
    players: tuple[dict, ...]
    winner: int | None  # the side (1, 2) whose players won, or None (a tie, unknown, winners on both sides)


@dataclass(frozen=True)
class UnitSegments:
    """Every drawn unit's (hyperspectral channel, pixel x, pixel y) over game loops [start, end]
    inclusive, and the [marker_start, marker_end] loops of the map markers left out (module docstring)."""

    channels: np.ndarray
    pixel_x: np.ndarray
    pixel_y: np.ndarray
    start: np.ndarray
    end: np.ndarray
    marker_start: np.ndarray
    marker_end: np.ndarray


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
    sides = player_sides(details["m_playerList"], str(path))
    players = tuple({"name": _text(p["m_name"]), "race": _text(p["m_race"]), "result": _RESULTS.get(p["m_result"], "?"),
                     "player_id": i + 1, "team": int(p["m_teamId"]), "side": sides[i + 1]}
                    for i, p in enumerate(details["m_playerList"]) if i + 1 in sides)
    winning_sides = {p["side"] for p in players if p["result"] == "Win"}
    game_loops = int(header["m_elapsedGameLoops"])
    if not 0 <= game_loops <= MAX_GAME_LOOPS:
        raise ReplayError(f"{path} is damaged: its header says the game lasted {game_loops} game loops "
                          f"(more than a day, {MAX_GAME_LOOPS})")
    tracker = archive.read_file("replay.tracker.events")
    if not tracker:
        raise ReplayError(f"{path} has no tracker events (replays before game version 2.0.8 lack them)")
    info = ReplayInfo(str(path), _text(details["m_title"]), build, game_loops, map_size, players,
                      winning_sides.pop() if len(winning_sides) == 1 else None)
    return info, unit_segments(protocol.decode_replay_tracker_events(tracker), map_size, game_loops, sides, str(path))


def _text(value) -> str:
    """Replay strings are UTF-8 bytes; player names carry HTML escapes and <sp/> for clan-tag spaces."""
    import html

    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return html.unescape(text.replace("<sp/>", " "))


def player_sides(player_list, where: str = "the replay") -> dict[int, int]:
    """replay.details' m_playerList -> {player id: side}: side 1 is the first player's team, side 2 the
    other team (module docstring); observers are left out. More than two teams is a ReplayError."""
    teams: dict[int, int] = {}  # player id -> team id
    for index, player in enumerate(player_list):
        if not player.get("m_observe", 0):  # an observer entry (0: a participant) is no side
            teams[index + 1] = int(player["m_teamId"])
    if not teams:
        raise ReplayError(f"{where} lists no players, only observers; there is no side to draw")
    distinct = sorted(set(teams.values()))
    if len(distinct) > 2:
        by_team = "; ".join(f"team {team}: players {[pid for pid, t in teams.items() if t == team]}"
                            for team in distinct)
        raise ReplayError(f"{where} has {len(distinct)} teams ({by_team}); StarCraftImage's images have two sides "
                          "(player 1's team and its opponents), so a free-for-all or a game of more than two teams "
                          "cannot be converted")
    first_team = teams[min(teams)]
    return {pid: 1 if team == first_team else 2 for pid, team in teams.items()}


# Owners that are the map's, not a player's (when replay.details lists no such player): 0, StarCraft
# II's neutral player, and 16, which this module has always filed as neutral.
_NEUTRAL_OWNERS = (0, 16)

# Neutral map objects by kind, for names StarCraftImage's table lacks (new rock sizes, ramp rocks,
# mineral field variants...): the first pattern found in the lower-cased name gives the listed channel
# of that kind. Order matters: "rich" and "750" variants before the plain ones, towers and named
# bricks/plates before the generic rock and debris.
_NEUTRAL_KINDS = (
    ("richmineralfield750", "NEUTRAL_RICHMINERALFIELD750"), ("richmineralfield", "NEUTRAL_RICHMINERALFIELD"),
    ("mineralfield750", "NEUTRAL_MINERALFIELD750"), ("mineralfield", "NEUTRAL_MINERALFIELD"),
    ("richvespenegeyser", "NEUTRAL_RICHVESPENEGEYSER"), ("geyser", "NEUTRAL_VESPENEGEYSER"),
    ("xelnagatower", "NEUTRAL_XELNAGATOWER"),
    ("collapsiblerocktower", "NEUTRAL_COLLAPSIBLEROCKTOWERDIAGONAL"),
    ("collapsibleterrantower", "NEUTRAL_COLLAPSIBLETERRANTOWERDIAGONAL"),
    ("unbuildablebricks", "NEUTRAL_UNBUILDABLEBRICKSDESTRUCTIBLE"),
    ("unbuildableplates", "NEUTRAL_UNBUILDABLEPLATESDESTRUCTIBLE"),
    ("debris", "NEUTRAL_DESTRUCTIBLEDEBRIS6X6"),
    ("rock", "NEUTRAL_DESTRUCTIBLEROCK6X6"), ("destructible", "NEUTRAL_DESTRUCTIBLEROCK6X6"),
)
MARKER = -1  # unit_channel's answer for a map marker: not drawn, counted
UNKNOWN_CHANNELS = tuple(block * len(nonneutral_channels()) + 1 for block in range(3))  # the three (Unknown)s


def unit_channel(name: str, side: int) -> int:
    """The hyperspectral channel of a unit of this game name on this side (1, 2, or NEUTRAL); MARKER
    for a map marker (a beacon). Unlisted names end in the side's (Unknown) channel (module docstring)."""
    key = name.lower().replace(" ", "")
    if key.startswith("beacon"):
        return MARKER
    channel = channel_of(name, side)
    if side == NEUTRAL and channel == UNKNOWN_CHANNELS[2]:
        for pattern, listed in _NEUTRAL_KINDS:
            if pattern in key:
                return channel_of(listed, NEUTRAL)
    return channel


def unit_segments(events, map_size, game_loops: int, sides: dict[int, int], where: str = "the replay") -> UnitSegments:
    """Walk the tracker events and cut each unit's life into constant (channel, cell) segments within
    the game's frames 0 .. game_loops - 1; sides: player_sides' {player id: side}."""
    scale = IMAGE_SIZE / max(map_size)  # images.pixel_of's scaling, per coordinate without an array per event
    last_frame = game_loops - 1
    live: dict[int, list] = {}  # unit index -> [channel, x, y, since loop, type name, side]
    rows: list[tuple[int, int, int, int, int]] = []
    markers: list[tuple[int, int]] = []

    def side_of(owner, name, loop):
        if owner in sides:
            return sides[owner]
        if owner in _NEUTRAL_OWNERS:
            return NEUTRAL
        raise ReplayError(f"{where}: a {name} at game loop {loop} belongs to player {owner}, whom replay.details "
                          f"does not list as a player (players: {sorted(sides)}; an observer's or an arcade map's "
                          "extra player?); its side is unknown, and a player's units are never filed under neutral")

    def close(index, loop):
        channel, px, py, since = live[index][:4]
        loop = min(loop, last_frame)  # events at loop game_loops (the end) and later draw nothing
        if loop >= since:
            if channel == MARKER:
                markers.append((since, loop))
            else:
                rows.append((channel, px, py, since, loop))

    def place(index, loop, name, side, x, y):
        px, py = (min(max(int(math.floor(v * scale)), 0), IMAGE_SIZE - 1) for v in (x, y))
        live[index] = [unit_channel(name, side), int(px), int(py), loop, name, side]

    for event in events:
        kind, loop = event["_event"], int(event["_gameloop"])
        if kind in ("NNet.Replay.Tracker.SUnitBornEvent", "NNet.Replay.Tracker.SUnitInitEvent"):
            index = int(event["m_unitTagIndex"])
            if index in live:
                close(index, loop - 1)
            name = _text(event["m_unitTypeName"])
            place(index, loop, name, side_of(int(event["m_controlPlayerId"]), name, loop), event["m_x"], event["m_y"])
        elif kind == "NNet.Replay.Tracker.SUnitDiedEvent":
            index = int(event["m_unitTagIndex"])
            if index in live:
                close(index, loop - 1)
                del live[index]
        elif kind == "NNet.Replay.Tracker.SUnitTypeChangeEvent":
            index = int(event["m_unitTagIndex"])
            if index in live:
                close(index, loop - 1)
                _, px, py, _, _, side = live[index]
                name = _text(event["m_unitTypeName"])
                live[index] = [unit_channel(name, side), px, py, loop, name, side]
        elif kind == "NNet.Replay.Tracker.SUnitOwnerChangeEvent":
            index = int(event["m_unitTagIndex"])
            if index in live:
                close(index, loop - 1)
                _, px, py, _, name, _ = live[index]
                side = side_of(int(event["m_controlPlayerId"]), name, loop)
                live[index] = [unit_channel(name, side), px, py, loop, name, side]
        elif kind == "NNet.Replay.Tracker.SUnitPositionsEvent":
            index = int(event["m_firstUnitIndex"])
            items = event["m_items"]
            for i in range(0, len(items), 3):
                index += int(items[i])
                if index in live:
                    close(index, loop - 1)
                    name, side = live[index][4], live[index][5]
                    place(index, loop, name, side, items[i + 1], items[i + 2])
    for index in list(live):
        close(index, last_frame)
    table = np.array(rows, dtype=np.int64).reshape(-1, 5)
    marker_table = np.array(markers, dtype=np.int64).reshape(-1, 2)
    return UnitSegments(table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy(), table[:, 3].copy(),
                        table[:, 4].copy(), marker_table[:, 0].copy(), marker_table[:, 1].copy())


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


def _overlapping(start: np.ndarray, end: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """How many of the intervals [start, end] (start <= end) overlap each [first, last]: those that start
    by `last`, less those that ended before `first` (they started by `last` too)."""
    return (np.searchsorted(np.sort(start), last, side="right")
            - np.searchsorted(np.sort(end), first, side="left")).astype(np.int64)


def window_first_loops(game_loops: int, stride: int = WINDOW_FRAMES) -> np.ndarray:
    """First game loops of the windows of a game of game_loops frames: every stride loops while a whole
    window fits; one window from loop 0 for a game shorter than a window; none for a game of 0 loops."""
    if stride < 1:
        raise ValueError(f"stride must be >= 1 game loop, got {stride}")
    if game_loops < 1:
        return np.zeros(0, dtype=np.int64)
    return np.arange(0, max(game_loops - WINDOW_FRAMES + 1, 1), stride, dtype=np.int64)


def phase_of(first_loop: int, game_loops: int) -> str:
    """StarCraftImage's beginning/end label of the window starting at first_loop: "Beginning" when the
    middle of the frames it covers lies before the middle of the game, else "End"; the window from
    loop 0 is always "Beginning" (a game of one window is its own beginning)."""
    frames = min(WINDOW_FRAMES, game_loops - first_loop)
    return "Beginning" if first_loop == 0 or first_loop + frames / 2 < game_loops / 2 else "End"


def windows_of(info: ReplayInfo, segments: UnitSegments, stride: int = WINDOW_FRAMES) -> tuple[np.ndarray, list[dict]]:
    """(W, 384, 64, 64) uint8 hyperspectral windows of a read replay, and one metadata dict per window."""
    first_loops = window_first_loops(info.game_loops, stride)
    images = np.zeros((len(first_loops), len(hyperspectral_channels()), IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    write_windows(images, first_loops, WINDOW_FRAMES, segments.channels, segments.pixel_x, segments.pixel_y,
                  segments.start, segments.end)
    frames = np.minimum(WINDOW_FRAMES, info.game_loops - first_loops)
    last_loops = first_loops + frames - 1
    unknown = np.isin(segments.channels, UNKNOWN_CHANNELS)
    unclassified = _overlapping(segments.start[unknown], segments.end[unknown], first_loops, last_loops)
    marked = _overlapping(segments.marker_start, segments.marker_end, first_loops, last_loops)
    races = {side: "+".join(p["race"] for p in info.players if p["side"] == side) for side in (1, 2)}
    metadata = [{"replay": Path(info.path).name, "map_name": info.map_name, "build": info.build,
                 "player_1_race": races[1], "player_2_race": races[2],
                 "winner": info.winner if info.winner is not None else 0, "window_index": w,
                 "first_game_loop": int(first), "frames": int(frames[w]), "game_loops": info.game_loops,
                 "unclassified_segments": int(unclassified[w]), "marker_segments": int(marked[w]),
                 "phase": phase_of(int(first), info.game_loops)}
                for w, first in enumerate(first_loops)]
    return images, metadata


def replay_windows(path, stride: int = WINDOW_FRAMES) -> tuple[np.ndarray, list[dict]]:
    """(W, 384, 64, 64) uint8 hyperspectral windows of a replay, and one metadata dict per window."""
    if stride < 1:
        raise ValueError(f"stride must be >= 1 game loop, got {stride}")
    info, segments = read_replay(path)
    return windows_of(info, segments, stride)
