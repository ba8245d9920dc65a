"""Real replays no one tuned for: team games, map objects StarCraftImage's table lacks, short games.

- Sides: a 2v2 made from a real replay by re-owning half of each player's units to players 3 and 4
  (on their partners' teams) gives the very same images; co-op and AI allies go to their team's
  side; observers are no side; a 3-team game, or a unit of a player replay.details does not list, is
  a ReplayError naming the file, never neutral.
- Unit types: rock, debris, mineral and geyser variants go to the neutral channel of their kind;
  beacons (map markers) are left out and counted; what stays unlisted is counted per window.
- Time: for games of 1 loop, less than a window, exactly a window, a window plus a loop, ..., every
  pixel lies in [0, game length] and the phases are Beginning first, End last (one window: Beginning).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("s2protocol")

from envsuite.starcraft import images  # noqa: E402
from envsuite.starcraft.replay import (MARKER, UNKNOWN_CHANNELS, ReplayError, ReplayInfo, player_sides,  # noqa: E402
                                       read_replay, replay_windows, unit_channel, unit_segments, window_first_loops,
                                       windows_of)

REPLAYS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "starcraft" / "replays"
BLOCK = len(images.nonneutral_channels())
NEUTRAL_UNKNOWN = UNKNOWN_CHANNELS[2]


def shared_replays() -> list[Path]:
    if not REPLAYS.is_dir():
        pytest.skip(f"the shared third-party data folder {REPLAYS} is absent (it is not part of a user's clone)")
    replays = sorted(REPLAYS.glob("*.SC2Replay"))
    if not replays:
        pytest.skip(f"no .SC2Replay file in {REPLAYS}")
    return replays


def decoded(path: Path):
    """(details, map size, game loops, tracker events as a list) of a real replay, through s2protocol."""
    from envsuite.starcraft import replay

    protocol, archive, header, _ = replay._protocol_and_archive(path)
    details = protocol.decode_replay_details(archive.read_file("replay.details"))
    init = protocol.decode_replay_initdata(archive.read_file("replay.initdata"))
    description = init["m_syncLobbyState"]["m_gameDescription"]
    events = list(protocol.decode_replay_tracker_events(archive.read_file("replay.tracker.events")))
    return details, (description["m_mapSizeX"], description["m_mapSizeY"]), int(header["m_elapsedGameLoops"]), events


def player(team: int, observe: int = 0, race: str = "Terran", result: int = 1) -> dict:
    return {"m_name": b"p", "m_race": race.encode(), "m_result": result, "m_teamId": team, "m_observe": observe}


def born(loop, index, name, owner, x=10, y=10):
    return {"_event": "NNet.Replay.Tracker.SUnitBornEvent", "_gameloop": loop, "m_unitTagIndex": index,
            "m_unitTypeName": name.encode(), "m_controlPlayerId": owner, "m_x": x, "m_y": y}


def died(loop, index):
    return {"_event": "NNet.Replay.Tracker.SUnitDiedEvent", "_gameloop": loop, "m_unitTagIndex": index}


def info_of(game_loops, players=None) -> ReplayInfo:
    players = players or ({"race": "Terran", "side": 1}, {"race": "Zerg", "side": 2})
    return ReplayInfo("synthetic.SC2Replay", "Synthetic", 0, game_loops, (64, 64), tuple(players), None)


# --- 1. sides ---------------------------------------------------------------------------------------

def test_a_2v2_made_from_a_real_replay_gives_the_same_images_as_the_1v1():
    path = shared_replays()[0]
    details, map_size, game_loops, events = decoded(path)
    teams = [int(p["m_teamId"]) for p in details["m_playerList"]]
    assert len(teams) == 2 and teams[0] != teams[1]
    one_v_one = unit_segments(events, map_size, game_loops, player_sides(details["m_playerList"]))
    # players 3 and 4 join the teams of players 1 and 2 and take over every other unit of theirs
    two_v_two = copy.deepcopy(events)
    moved = {1: 0, 2: 0}
    for event in two_v_two:
        if event["_event"].endswith(("SUnitBornEvent", "SUnitInitEvent", "SUnitOwnerChangeEvent")):
            owner = event["m_controlPlayerId"]
            if owner in (1, 2) and event["m_unitTagIndex"] % 2:
                event["m_controlPlayerId"] = owner + 2
                moved[owner] += 1
    assert moved[1] > 50 and moved[2] > 50, moved
    players = [player(teams[0]), player(teams[1]), player(teams[0]), player(teams[1])]
    sides = player_sides(players)
    assert sides == {1: 1, 2: 2, 3: 1, 4: 2}
    segments = unit_segments(two_v_two, map_size, game_loops, sides)
    for field in ("channels", "pixel_x", "pixel_y", "start", "end", "marker_start", "marker_end"):
        np.testing.assert_array_equal(getattr(segments, field), getattr(one_v_one, field), err_msg=field)
    # so players 3 and 4's armies are in their sides' blocks, none of them under neutral
    assert (segments.channels < 2 * BLOCK).sum() > 2 * 50


def test_sides_follow_the_first_players_team_for_co_op_ai_allies_and_observers():
    # co-op: the two humans on one team against two AI players
    assert player_sides([player(0), player(0), player(1), player(1)]) == {1: 1, 2: 1, 3: 2, 4: 2}
    # player 1 on team 1 is still side 1; an AI ally on its team too
    assert player_sides([player(1), player(0), player(1)]) == {1: 1, 2: 2, 3: 1}
    # an observer entry is no side, and a team of only observers is not a third team
    assert player_sides([player(0), player(1), player(2, observe=1)]) == {1: 1, 2: 2}
    # one team only (a game against nothing): side 2 is empty
    assert player_sides([player(3), player(3)]) == {1: 1, 2: 1}
    with pytest.raises(ReplayError, match="no players, only observers"):
        player_sides([player(0, observe=1)])


def test_a_three_team_game_is_refused_with_the_teams_named():
    with pytest.raises(ReplayError, match=r"has 3 teams \(team 0: players \[1\]; team 1: players \[2, 3\]; "
                                          r"team 2: players \[4\]\).*two sides"):
        player_sides([player(0), player(1), player(1), player(2)])


def test_a_three_team_replay_file_is_a_replay_error_naming_the_file(monkeypatch):
    from s2protocol import versions

    path = shared_replays()[0]
    build = versions.build

    def with_a_third_team(base_build):
        protocol = build(base_build)
        decode = protocol.decode_replay_details

        def details(contents):
            decoded_details = decode(contents)
            decoded_details["m_playerList"].append(dict(decoded_details["m_playerList"][0], m_teamId=2))
            return decoded_details

        monkeypatch.setattr(protocol, "decode_replay_details", details)
        return protocol

    monkeypatch.setattr(versions, "build", with_a_third_team)
    with pytest.raises(ReplayError, match="has 3 teams") as raised:
        replay_windows(path)
    assert str(path) in str(raised.value)


def test_units_of_unlisted_players_are_refused_never_neutral_and_owner_changes_move_sides():
    sides = player_sides([player(0), player(1), player(0, observe=1)])
    for owner in (3, 5):  # an observer's id, a player replay.details does not list
        with pytest.raises(ReplayError, match=f"belongs to player {owner}.*never filed under neutral"):
            unit_segments([born(0, 1, "Marine", owner)], (64, 64), 100, sides, "x.SC2Replay")
    # 0 and 16 are the map's
    segments = unit_segments([born(0, 1, "MineralField", 0), born(0, 2, "MineralField", 16)], (64, 64), 100, sides)
    assert (segments.channels == images.channel_of("MineralField", images.NEUTRAL)).all()
    # a unit that changes owner (a neural parasite) changes side from that loop on
    change = {"_event": "NNet.Replay.Tracker.SUnitOwnerChangeEvent", "_gameloop": 40, "m_unitTagIndex": 1,
              "m_controlPlayerId": 2, "m_upkeepPlayerId": 2}
    segments = unit_segments([born(0, 1, "Marine", 1), change], (64, 64), 100, sides)
    assert segments.channels.tolist() == [images.channel_of("Marine", 1), images.channel_of("Marine", 2)]
    assert segments.start.tolist() == [0, 40] and segments.end.tolist() == [39, 99]


def test_races_and_winner_are_per_side():
    players = ({"race": "Zerg", "side": 1}, {"race": "Terran", "side": 2}, {"race": "Protoss", "side": 1})
    info = ReplayInfo("t.SC2Replay", "T", 0, 300, (64, 64), players, 2)
    _, metadata = windows_of(info, unit_segments([], (64, 64), 300, {1: 1, 2: 2, 3: 1}))
    assert (metadata[0]["player_1_race"], metadata[0]["player_2_race"], metadata[0]["winner"]) == ("Zerg+Protoss",
                                                                                                  "Terran", 2)


def test_shared_replays_player_ids_match_the_details_order():
    # player_sides reads player id i + 1 from details' entry i; the tracker's own SPlayerSetupEvent
    # (player id -> lobby slot) agrees: that slot's team is the details entry's team.
    from envsuite.starcraft import replay

    for path in shared_replays():
        protocol, archive, _, _ = replay._protocol_and_archive(path)
        details = protocol.decode_replay_details(archive.read_file("replay.details"))
        slots = protocol.decode_replay_initdata(archive.read_file("replay.initdata"))["m_syncLobbyState"][
            "m_lobbyState"]["m_slots"]
        setups = [e for e in protocol.decode_replay_tracker_events(archive.read_file("replay.tracker.events"))
                  if e["_event"] == "NNet.Replay.Tracker.SPlayerSetupEvent"]
        assert len(setups) == len(details["m_playerList"]) == 2
        for setup in setups:
            entry = details["m_playerList"][setup["m_playerId"] - 1]
            assert slots[setup["m_slotId"]]["m_teamId"] == entry["m_teamId"], path.name


# --- 2. unit types ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "listed"), [
    ("DestructibleRockEx16x6", "NEUTRAL_DESTRUCTIBLEROCK6X6"),
    ("DestructibleRockEx14x4", "NEUTRAL_DESTRUCTIBLEROCK6X6"),
    ("UnbuildableRocksDestructible", "NEUTRAL_DESTRUCTIBLEROCK6X6"),
    ("DestructibleRampDiagonalHugeBLUR", "NEUTRAL_DESTRUCTIBLEROCK6X6"),
    ("DestructibleCityDebris6x6", "NEUTRAL_DESTRUCTIBLEDEBRIS6X6"),
    ("DestructibleDebrisRampDiagonalHugeBLUR", "NEUTRAL_DESTRUCTIBLEDEBRISRAMPDIAGONALHUGEBLUR"),  # listed
    ("DestructibleRockEx1DiagonalHugeBLUR", "NEUTRAL_DESTRUCTIBLEROCKEX1DIAGONALHUGEBLUR"),  # listed
    ("CollapsibleRockTowerPushUnitRampLeft", "NEUTRAL_COLLAPSIBLEROCKTOWERDIAGONAL"),
    ("CollapsibleTerranTowerPushUnitRampLeftGreen", "NEUTRAL_COLLAPSIBLETERRANTOWERDIAGONAL"),
    ("UnbuildableBricksSmallUnit", "NEUTRAL_UNBUILDABLEBRICKSDESTRUCTIBLE"),
    ("MineralField450", "NEUTRAL_MINERALFIELD"),
    ("DesertMineralField750", "NEUTRAL_MINERALFIELD750"),
    ("IceRichMineralField", "NEUTRAL_RICHMINERALFIELD"),
    ("LabMineralField750", "NEUTRAL_LABMINERALFIELD750"),  # listed
    ("ProtossRichVespeneGeyser", "NEUTRAL_RICHVESPENEGEYSER"),
    ("PurifierVespeneGeyser", "NEUTRAL_PURIFIERVESPENEGEYSER"),  # listed
    ("ZergVespeneGeyser", "NEUTRAL_VESPENEGEYSER"),
    ("XelNagaTower", "NEUTRAL_XELNAGATOWER"),
])
def test_neutral_map_objects_go_to_the_channel_of_their_kind(name, listed):
    assert unit_channel(name, images.NEUTRAL) == images.channel_of(listed, images.NEUTRAL) != NEUTRAL_UNKNOWN


def test_beacons_are_markers_and_other_unlisted_names_stay_unknown():
    for name in ("BeaconArmy", "BeaconRally", "BeaconCustom4", "beaconclaim"):
        for side in (1, 2, images.NEUTRAL):
            assert unit_channel(name, side) == MARKER
    assert unit_channel("InhibitorZoneSmall", images.NEUTRAL) == NEUTRAL_UNKNOWN
    assert unit_channel("ObserverSiegeMode", 1) == UNKNOWN_CHANNELS[0]
    # the patterns are for the map's objects: a player's unlisted unit stays in its own (Unknown)
    assert unit_channel("RockThing", 2) == UNKNOWN_CHANNELS[1]
    assert unit_channel("Marine", 2) == images.channel_of("Marine", 2)


def test_windows_count_unclassified_and_marker_segments():
    events = [born(0, 1, "BeaconArmy", 1), born(0, 2, "BeaconRally", 2),  # markers, the whole game
              born(0, 3, "DestructibleRockEx16x6", 0),  # classified
              born(0, 4, "InhibitorZoneSmall", 0),  # unlisted neutral
              born(300, 5, "ObserverSiegeMode", 1), died(400, 5),  # unlisted, in window 1 only
              born(0, 6, "Marine", 1)]
    segments = unit_segments(events, (64, 64), 765, {1: 1, 2: 2})
    windows, metadata = windows_of(info_of(765), segments)
    assert [m["marker_segments"] for m in metadata] == [2, 2, 2]
    assert [m["unclassified_segments"] for m in metadata] == [1, 2, 1]
    assert windows[:, images.channel_of("DestructibleRock6x6", images.NEUTRAL)].max() == 255
    assert windows[:, NEUTRAL_UNKNOWN].max() == 255 and windows[1, UNKNOWN_CHANNELS[0]].max() == 400 - 1 - 255 + 1
    # the beacons drew nothing: only the marine is in player 1's block, player 2's block is empty
    assert (windows[:, BLOCK:2 * BLOCK] == 0).all()
    drawn = {int(c) for c in np.flatnonzero(windows[:, :BLOCK].max(axis=(0, 2, 3)))}
    assert drawn == {images.channel_of("Marine", 1), UNKNOWN_CHANNELS[0]}


# Measured on the shared replays (docstring counts): the 15 beacons per player are the 30 markers of
# every window; the neutral (Unknown) channel is empty; what stays unknown is a player's
# ObserverSiegeMode / OverseerSiegeMode (surveillance modes StarCraftImage's table lacks).
SHARED_UNKNOWN_SEGMENTS = {"2018-11-29_Z_iaguz_VS_P_Luneth.SC2Replay": 1,
                           "2018-12-01_P_Calm_VS_T_Aggression.SC2Replay": 4,
                           "2018_08_14_T_Jason_VS_T_IIIIIIIIIIII.SC2Replay": 0,
                           "sc2reader_3.16_AbyssalReef.SC2Replay": 0}


def test_shared_replays_classify_every_map_object():
    for path in shared_replays():
        info, segments = read_replay(path)
        windows, metadata = windows_of(info, segments)
        assert len(segments.marker_start) == 30 and {m["marker_segments"] for m in metadata} == {30}, path.name
        assert (segments.channels != NEUTRAL_UNKNOWN).all() and (windows[:, NEUTRAL_UNKNOWN] == 0).all(), path.name
        unknown = int(np.isin(segments.channels, UNKNOWN_CHANNELS).sum())
        if path.name in SHARED_UNKNOWN_SEGMENTS:
            assert unknown == SHARED_UNKNOWN_SEGMENTS[path.name], path.name
        assert max(m["unclassified_segments"] for m in metadata) <= unknown


# --- 3. time ----------------------------------------------------------------------------------------

def short_game_events(game_loops: int) -> list[dict]:
    """A unit alive the whole game, one dying at the end instant, one born at it, one after the end."""
    middle = game_loops // 2
    return [born(0, 1, "Marine", 1, 5, 5), born(0, 2, "Zergling", 2, 9, 9), died(game_loops, 2),
            born(middle, 3, "Stalker", 1, 20, 20), born(game_loops, 4, "Marine", 2, 30, 30),
            born(game_loops + 7, 5, "Marine", 2, 40, 40)]


@pytest.mark.parametrize("stride", [255, 100, 1])
@pytest.mark.parametrize("game_loops", [1, 2, 100, 127, 128, 254, 255, 256, 300, 509, 510, 511, 765, 766, 1000])
def test_values_and_phases_stay_within_any_game_length(game_loops, stride):
    segments = unit_segments(short_game_events(game_loops), (64, 64), game_loops, {1: 1, 2: 2})
    assert segments.end.max() <= game_loops - 1 and segments.start.max() <= game_loops - 1
    windows, metadata = windows_of(info_of(game_loops), segments, stride)
    assert len(windows) == len(metadata) >= 1
    assert int(windows.max()) <= game_loops
    always = images.channel_of("Marine", 1)
    for window, m in zip(windows, metadata):
        first, frames = m["first_game_loop"], m["frames"]
        assert 0 <= first and first + frames <= game_loops and frames == min(255, game_loops - first)
        assert int(window.max()) <= frames
        assert window[always, 5, 5] == frames  # the unit alive all game: the window's last frame
    # the unit born at the end instant (and the one after it) never shows
    assert (windows[:, images.channel_of("Marine", 2)] == 0).all()
    phases = [m["phase"] for m in metadata]
    assert phases[0] == "Beginning"
    assert phases == sorted(phases)  # "Beginning"s, then "End"s: never a Beginning after an End
    if len(phases) > 1:
        assert phases[-1] == "End"


def test_games_shorter_than_a_window_give_one_window_of_their_frames():
    for game_loops in (1, 254, 255):
        _, metadata = windows_of(info_of(game_loops), unit_segments(short_game_events(game_loops), (64, 64),
                                                                     game_loops, {1: 1, 2: 2}))
        assert [(m["first_game_loop"], m["frames"], m["phase"]) for m in metadata] == [(0, game_loops, "Beginning")]
    # a window plus a loop: still one whole window (windows lie within the game), its own beginning
    assert window_first_loops(256).tolist() == [0] and window_first_loops(510).tolist() == [0, 255]
    # a game of no loops has no frames and so no window
    windows, metadata = windows_of(info_of(0), unit_segments(short_game_events(0), (64, 64), 0, {1: 1, 2: 2}))
    assert windows.shape == (0, 384, 64, 64) and metadata == []


@pytest.mark.parametrize("game_loops", [1, 100, 255, 256])
def test_a_real_replay_cut_short_stays_within_its_length(monkeypatch, game_loops):
    # the real events with a header claiming a short game: the old walk closed the units alive at the
    # end on loop game_loops, one past the last frame (a pixel of game_loops + 1, a lone "End" window)
    from s2protocol import versions

    path = shared_replays()[0]
    latest = versions.latest()
    decode_header = latest.decode_replay_header

    def short(contents):
        header = decode_header(contents)
        header["m_elapsedGameLoops"] = game_loops
        return header

    monkeypatch.setattr(latest, "decode_replay_header", short)
    windows, metadata = replay_windows(path)
    assert len(metadata) == 1 and metadata[0]["phase"] == "Beginning" and metadata[0]["frames"] == min(game_loops, 255)
    assert int(windows.max()) == min(game_loops, 255)  # the mineral fields, there from loop 0
