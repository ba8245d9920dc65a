"""Real replays (../shared/data/starcraft/replays) -> StarCraftImage windows through s2protocol's
tracker events: every shared replay converts; a unit that never moves fills its pixel in every window
it lives through; metadata match the replay's own details; bad files give clear errors."""

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("s2protocol")

from envsuite.starcraft import images  # noqa: E402
from envsuite.starcraft.replay import ReplayError, read_replay, replay_windows  # noqa: E402

REPLAYS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "starcraft" / "replays"


def shared_replays():
    if not REPLAYS.is_dir():
        pytest.skip(f"the shared third-party data folder {REPLAYS} is absent (it is not part of a user's clone)")
    return sorted(REPLAYS.glob("*.SC2Replay"))


def test_all_four_shared_replays_convert_with_metadata():
    replays = shared_replays()
    assert len(replays) == 4
    for path in replays:
        windows, metadata = replay_windows(path)
        info, _ = read_replay(path)
        assert windows.shape == (len(metadata), 384, 64, 64) and windows.dtype == np.uint8
        assert len(metadata) == (info.game_loops - 255) // 255 + 1
        assert windows.max() == 255 and (windows[:, [0, 170, 340]] == 0).all()  # (No Unit) channels stay empty
        assert metadata[0]["phase"] == "Beginning" and metadata[-1]["phase"] == "End"
        assert {m["map_name"] for m in metadata} == {info.map_name} and info.winner in (1, 2)
        assert [m["first_game_loop"] for m in metadata] == list(range(0, 255 * len(metadata), 255))


def test_a_mineral_field_that_never_moves_fills_its_pixel_in_every_window():
    path = REPLAYS / "sc2reader_3.16_AbyssalReef.SC2Replay"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    info, segments = read_replay(path)
    assert info.map_name == "Abyssal Reef LE" and info.map_size == (200, 176)
    assert [p["race"] for p in info.players] == ["Zerg", "Protoss"] and info.winner == 1
    windows, _ = replay_windows(path)
    # the replay's first unit: a mineral field born at loop 0 in cell (37, 128), never moved or mined out
    channel = images.channel_of("MineralField", images.NEUTRAL)
    x, y = images.pixel_of(np.array([37.0, 128.0]), 200, 176)
    assert (x, y) == (11, 40)
    assert (windows[:, channel, x, y] == 255).all()
    # every segment's channel is a real channel; player units are in the players' blocks
    assert segments.channels.min() >= 1 and segments.channels.max() < 384


def test_bad_files_get_clear_errors(tmp_path, monkeypatch):
    bogus = tmp_path / "x.SC2Replay"
    bogus.write_bytes(b"not a replay")
    with pytest.raises(ReplayError, match="is not a StarCraft II replay"):
        read_replay(bogus)
    with pytest.raises(FileNotFoundError, match="no replay"):
        read_replay(tmp_path / "missing.SC2Replay")
    replays = shared_replays()
    from s2protocol import versions

    def unsupported(build):
        raise ImportError(f"no protocol for {build}")

    monkeypatch.setattr(versions, "build", unsupported)
    with pytest.raises(ReplayError, match="recorded with game build .* cannot decode; upgrade s2protocol"):
        read_replay(replays[0])
