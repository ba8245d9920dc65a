"""Damaged AMC files give a ClipConversionError naming the file, the frame and the value.

The files are the real CMU 02_01.amc of ../shared/data/mocap, cut short or with one value replaced.
Unchecked, dm_control raised PhysicsError (NaN, inf, a 1e30 root position), scipy a TypeError
("m > k must hold", 1-3 frames), and 1e308-degree angles quietly became a clip.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from envsuite.mocap.convert import ClipConversionError, amc_to_clip, check_amc_frames

SHARED_AMC = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mocap" / "02_01.amc"
SHARED_ASF = SHARED_AMC.with_name("02.asf")


@pytest.fixture(scope="module")
def amc_lines() -> list[str]:
    if not SHARED_AMC.is_file():
        pytest.skip(f"the shared third-party file {SHARED_AMC} is absent (it is not part of a user's clone)")
    return SHARED_AMC.read_text().splitlines()


def _first_frames(lines: list[str], count: int) -> str:
    """The header and the first `count` frames."""
    kept, frame = [], 0
    for line in lines:
        if re.fullmatch(r"\d+", line.strip()):
            frame += 1
            if frame > count:
                break
        kept.append(line)
    return "\n".join(kept) + "\n"


def _with_value(text: str, frame: int, segment: str, index: int, value: str) -> str:
    """The AMC text with value `index` (0-based) of `segment`'s line in `frame` replaced."""
    lines, current = text.splitlines(), 0
    for i, line in enumerate(lines):
        tokens = line.split()
        if len(tokens) == 1 and tokens[0].isdigit():
            current = int(tokens[0])
        elif current == frame and tokens and tokens[0] == segment:
            tokens[1 + index] = value
            lines[i] = " ".join(tokens)
            return "\n".join(lines) + "\n"
    raise AssertionError(f"no {segment} line in frame {frame}")


@pytest.mark.parametrize("value", ["nan", "-nan", "inf", "-inf", "1e30", "1e308", "-1e308", "3601"])
@pytest.mark.parametrize("segment, index, label", [("lfemur", 1, "lfemur ry"),
                                                   ("root", 0, "root value 1 of 6"),
                                                   ("root", 4, "root value 5 of 6")])
def test_non_finite_or_absurd_values_name_the_file_frame_and_value(tmp_path, amc_lines, value, segment, index,
                                                                  label):
    if value == "3601" and segment == "root":
        value = "1e6"  # 3601 is a plausible root position (in length units) and root angle (unwrapped)
    path = tmp_path / "damaged.amc"
    path.write_text(_with_value(_first_frames(amc_lines, 40), 7, segment, index, value))
    with pytest.raises(ClipConversionError, match=rf"frame 7, {label}: .* the file is damaged") as raised:
        amc_to_clip(path, asf=SHARED_ASF, root_scale=1.0)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize("frames", [0, 1, 2, 3, 4])
def test_too_few_frames_for_the_spline_and_two_clip_frames(tmp_path, amc_lines, frames):
    path = tmp_path / f"{frames}_frames.amc"
    path.write_text(_first_frames(amc_lines, frames))
    expected = "holds no frames" if frames == 0 else rf"has {frames} frame\(s\); converting it needs at least 5"
    with pytest.raises(ClipConversionError, match=expected) as raised:
        amc_to_clip(path, asf=SHARED_ASF, root_scale=1.0)
    assert str(path) in str(raised.value)


def test_the_shortest_convertible_take_converts(tmp_path, amc_lines):
    # 5 frames at 120 fps span 33 ms: two clip frames 0.03 s apart
    path = tmp_path / "five.amc"
    path.write_text(_first_frames(amc_lines, 5))
    assert check_amc_frames(path, asf=SHARED_ASF) == 5
    assert amc_to_clip(path, asf=SHARED_ASF, root_scale=1.0).num_steps == 2


def test_a_frame_with_a_missing_line_is_named(tmp_path, amc_lines):
    text = _first_frames(amc_lines, 40)
    lines = text.splitlines()
    frame_9 = lines.index("9")
    del lines[frame_9 + 3]  # one segment's line of frame 9
    path = tmp_path / "short_frame.amc"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ClipConversionError, match=r"frame 9 lacks the bone\(s\) upperback"):
        amc_to_clip(path, asf=SHARED_ASF, root_scale=1.0)


def test_non_numeric_values_are_a_clip_conversion_error(tmp_path, amc_lines):
    path = tmp_path / "text.amc"
    path.write_text(_with_value(_first_frames(amc_lines, 40), 3, "lfemur", 0, "twelve"))
    with pytest.raises(ClipConversionError, match="frame 3: 'lfemur twelve .*' holds a value that is not a number"):
        amc_to_clip(path, asf=SHARED_ASF, root_scale=1.0)


def test_the_real_takes_pass_the_check(amc_lines):
    # The bounds leave the real capture alone (the module's comments give the largest real values).
    assert check_amc_frames(SHARED_AMC) == 343
    charleston = SHARED_AMC.with_name("charleston1.amc")
    if charleston.is_file():
        assert check_amc_frames(charleston) > 0
