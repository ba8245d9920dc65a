"""Damaged replays give a ReplayError naming the file, never a library's own exception.

The real replays of ../shared/data/starcraft/replays are truncated, bit-flipped and stripped of
archive members; mpyq and s2protocol would otherwise let OSError ("Invalid data stream", bz2),
TruncatedError, CorruptedError, KeyError or TypeError escape without the file's name.
"""

from __future__ import annotations

import random
from importlib import metadata
from pathlib import Path

import pytest

pytest.importorskip("s2protocol")

from envsuite.starcraft.replay import ReplayError, read_replay, replay_windows  # noqa: E402

REPLAYS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "starcraft" / "replays"


def shared_replays() -> list[Path]:
    if not REPLAYS.is_dir():
        pytest.skip(f"the shared third-party data folder {REPLAYS} is absent (it is not part of a user's clone)")
    replays = sorted(REPLAYS.glob("*.SC2Replay"))
    if not replays:
        pytest.skip(f"no .SC2Replay file in {REPLAYS}")
    return replays


def _mutations(data: bytes, rng: random.Random, count: int):
    """(label, bytes): truncations at fixed and random offsets, then bit flips and zeroed spans."""
    cuts = [0, 1, 16, 512, 1024, len(data) // 4, len(data) // 2, len(data) - 100, len(data) - 1]
    for cut in cuts:
        yield f"truncated at {cut}", data[:cut]
    for i in range(count - len(cuts)):
        damaged = bytearray(data)
        if i % 3 == 2:
            start, length = rng.randrange(len(data)), rng.choice([8, 64, 512])
            damaged[start:start + length] = bytes(len(damaged[start:start + length]))
            label = f"{length} bytes zeroed from {start}"
        else:
            # every third flip inside the first 2 KiB: the MPQ and replay headers live there
            positions = [rng.randrange(2048 if j % 3 == 0 else len(data)) for j in range(rng.choice([1, 3, 12]))]
            for position in positions:
                damaged[position] ^= 1 << rng.randrange(8)
            label = f"bits flipped at {positions}"
        yield label, bytes(damaged)


def test_damaged_replays_raise_only_replay_errors_naming_the_file(tmp_path):
    replays = shared_replays()
    rng = random.Random(20240514)
    outcomes = {"ReplayError": 0, "read": 0}
    mutations = [*_mutations(replays[0].read_bytes(), rng, 30), *_mutations(replays[-1].read_bytes(), rng, 30)]
    for number, (label, damaged) in enumerate(mutations):
        path = tmp_path / f"damaged_{number}.SC2Replay"
        path.write_bytes(damaged)
        try:
            replay_windows(path)
        except ReplayError as error:
            outcomes["ReplayError"] += 1
            assert str(path) in str(error), (label, error)
        except Exception as error:  # noqa: BLE001 - what the test is about
            pytest.fail(f"{label}: {type(error).__name__} escaped instead of ReplayError: {error}")
        else:
            outcomes["read"] += 1  # a flip in bytes nothing decodes (padding, unit names, ...)
    # The mutations did reach the decoders: most of them are errors.
    assert outcomes["ReplayError"] >= 15, outcomes


@pytest.mark.parametrize("member", ["replay.details", "replay.initdata", "replay.tracker.events"])
def test_a_missing_archive_member_is_a_replay_error(monkeypatch, member):
    # mpyq cannot write MPQ archives, so the member is removed on reading: mpyq's read_file returns
    # None for a name the archive's hash table lacks, which is what it does on a real such archive.
    import mpyq

    path = shared_replays()[0]
    read_file = mpyq.MPQArchive.read_file
    monkeypatch.setattr(mpyq.MPQArchive, "read_file",
                        lambda self, name, *args, **kwargs: None if name == member
                        else read_file(self, name, *args, **kwargs))
    expected = "no tracker events" if member == "replay.tracker.events" else f"has no {member} in its archive"
    with pytest.raises(ReplayError, match=expected) as raised:
        read_replay(path)
    assert str(path) in str(raised.value)


def test_a_decoder_error_is_a_replay_error_with_its_cause(monkeypatch):
    from s2protocol import decoders

    path = shared_replays()[0]

    # replay.initdata is bit-packed: its decoder stops as on a truncated member
    def truncated(self, typeid):
        raise decoders.TruncatedError("buffer(00/0,[0]=--)")

    monkeypatch.setattr(decoders.BitPackedDecoder, "instance", truncated)
    with pytest.raises(ReplayError, match=r"is damaged: TruncatedError") as raised:
        read_replay(path)
    assert str(path) in str(raised.value)


def test_upgrade_hint_names_the_installed_s2protocol_version(monkeypatch):
    from s2protocol import versions

    path = shared_replays()[0]

    def unsupported(build):
        raise ImportError(f"no protocol for {build}")

    monkeypatch.setattr(versions, "build", unsupported)
    with pytest.raises(ReplayError) as raised:
        read_replay(path)
    message = str(raised.value)
    assert f"s2protocol {metadata.version('s2protocol')} cannot decode" in message, message
    assert "(1, 0" not in message  # s2protocol.__version__, an internal tuple


def test_a_header_claiming_more_than_a_day_of_game_is_damaged(monkeypatch):
    # One flipped high bit of m_elapsedGameLoops would make replay_windows allocate an image per 255
    # of those loops (2**31 loops: 8 million windows of 1.5 MB).
    from s2protocol import versions

    path = shared_replays()[0]
    latest = versions.latest()
    decode_header = latest.decode_replay_header

    def long_game(contents):
        header = decode_header(contents)
        header["m_elapsedGameLoops"] = 2**31
        return header

    monkeypatch.setattr(latest, "decode_replay_header", long_game)
    with pytest.raises(ReplayError, match=r"is damaged: its header says the game lasted 2147483648 game loops"):
        replay_windows(path)
