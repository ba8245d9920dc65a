"""StarCraftImage's formats: the channel table against StarCraftImage's definition (384 channels,
specials first, names sorted), the window summary and the resizing against numpy oracles."""

import numpy as np
import pytest

from envsuite.starcraft import images
from envsuite.starcraft.simulator import Battle


def test_channels_are_starcraftimages_384():
    block, neutral = images.nonneutral_channels(), images.neutral_channels()
    assert (len(block), len(neutral), len(images.hyperspectral_channels())) == (170, 44, 384)
    assert block[:2] == ("(No Unit)", "(Unknown)") and neutral[:2] == ("(No Unit)", "(Unknown)")
    assert list(block[2:]) == sorted(block[2:]) and block[2] == "PROTOSS_ADEPT" and block[-1] == "ZERG_ZERGLINGBURROWED"
    assert images.hyperspectral_channels()[170 + 2] == "player_2/PROTOSS_ADEPT"


def test_unit_names_find_their_channel_per_owner():
    marine = images.nonneutral_channels().index("TERRAN_MARINE")
    assert images.channel_of("Marine", images.PLAYER_1) == marine
    assert images.channel_of("TERRAN_MARINE", images.PLAYER_2) == 170 + marine
    assert images.channel_of("zergling", 2) == 170 + images.nonneutral_channels().index("ZERG_ZERGLING")
    assert images.channel_of("MineralField", images.NEUTRAL) == 340 + images.neutral_channels().index("NEUTRAL_MINERALFIELD")
    assert images.channel_of("Beacon", 1) == 1 and images.channel_of("Beacon", 0) == 341  # (Unknown)
    with pytest.raises(ValueError, match="owner"):
        images.channel_of("Marine", 3)


def test_positions_scale_by_64_over_the_larger_map_side():
    np.testing.assert_array_equal(images.pixel_of([[0.0, 0.0], [199.9, 88.0], [100.0, 175.9]], 200, 176),
                                  [[0, 0], [63, 28], [32, 56]])


def test_window_keeps_the_last_frame_a_unit_was_at_each_pixel():
    summary = images.WindowSummary()
    channel = images.channel_of("Stalker", 1)
    trajectory = [(3, 4)] * 10 + [(5, 5)] * 10 + [(3, 4)] * 2
    expected = np.zeros_like(summary.image)
    for frame, (x, y) in enumerate(trajectory, start=1):
        summary.add_frame(np.array([channel]), np.array([[x, y]]))
        np.maximum.at(expected, (np.array([channel]), np.array([x]), np.array([y])), frame)  # the oracle
    np.testing.assert_array_equal(summary.image, expected)
    assert summary.image[channel, 3, 4] == 22 and summary.image[channel, 5, 5] == 20 and summary.image.sum() == 42
    for _ in range(255 - len(trajectory)):
        summary.add_frame(np.zeros(0, dtype=np.int64), np.zeros((0, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="255 frames"):
        summary.add_frame(np.array([channel]), np.array([[0, 0]]))


@pytest.mark.parametrize("size", [32, 28, 16])
def test_resize_keeps_the_maximum_of_merged_pixels(size):
    rng = np.random.default_rng(size)
    image = (rng.random((64, 64)) < 0.05) * rng.integers(1, 256, (64, 64))
    image = image.astype(np.uint8)
    target = np.floor(size / 64 * (np.arange(64) + 0.5)).astype(int)
    expected = np.zeros((size, size), dtype=np.uint8)
    rows, columns = np.meshgrid(target, target, indexing="ij")
    np.maximum.at(expected, (rows.ravel(), columns.ravel()), image.ravel())  # the oracle
    np.testing.assert_array_equal(images.resize_max(image, size), expected)


def test_rgb_and_grayscale_put_the_players_where_the_format_says():
    summary = images.WindowSummary()
    summary.add_frame(np.array([images.channel_of("Marine", 1), images.channel_of("Zergling", 2),
                                images.channel_of("MineralField", 0)]), np.array([[2, 2], [40, 40], [60, 10]]))
    rgb = images.to_rgb(summary.image)
    assert rgb.shape == (32, 32, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[1, 1]) == (0, 0, 1) and tuple(rgb[20, 20]) == (1, 0, 0) and tuple(rgb[30, 5]) == (0, 1, 0)
    gray = images.to_grayscale(summary.image)
    assert gray.shape == (28, 28)
    p1, p2, neutral = gray[1, 1], gray[17, 17], gray[26, 4]  # floor(28/64 * (i + 0.5))
    assert 170 <= p1 <= 255 and 85 <= neutral < 170 and 1 <= p2 <= 85 and gray.astype(int).sum() == int(p1) + int(p2) + int(neutral)


def test_a_battle_frame_files_allies_as_player_1_and_enemies_as_player_2():
    battle = Battle("2s3z")
    channels, pixels = images.battle_frame(battle)
    names = [images.hyperspectral_channels()[c] for c in channels]
    assert names == ["player_1/PROTOSS_STALKER"] * 2 + ["player_1/PROTOSS_ZEALOT"] * 3 + \
        ["player_2/PROTOSS_STALKER"] * 2 + ["player_2/PROTOSS_ZEALOT"] * 3
    np.testing.assert_array_equal(pixels, np.floor(battle.positions * 2).astype(int))  # 64 / 32


def test_a_battle_window_equals_the_summary_of_its_recorded_loops():
    battle = Battle("3m")
    for _ in range(40):  # 320 loops: the ring keeps the last 255
        battle.commands[:3] = 1
        battle.destinations[:3] = battle.positions[:3] + [1.0, 0.0]
        battle.step(8)
    window = images.battle_window(battle)
    positions, alive = battle.recent_loops()
    assert positions.shape == (255, 6, 2)
    summary = images.WindowSummary()  # the oracle: frame by frame through WindowSummary
    for frame in range(255):
        live = np.flatnonzero(alive[frame])
        channels = np.array([images.channel_of(battle.type_names[u], 1 if battle.teams[u] == 0 else 2) for u in live])
        summary.add_frame(channels, images.pixel_of(positions[frame, live], 32, 32))
    np.testing.assert_array_equal(window, summary.image)
    np.testing.assert_array_equal(positions[-1], battle.positions)
