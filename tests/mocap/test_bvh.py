"""BVH takes go through the AMC path: the same CMU take in BVH and in ASF/AMC converts to the same
motion; the same BVH written another way gives the same values; another skeleton or damage is refused.

The oracle is the CMU database's own AMC of each take (with its subject's ASF), converted by
convert.amc_to_clip; the BVH files are the widespread CMU BVH conversion of the same captures.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pytest

from envsuite.mocap import bvh as B
from envsuite.mocap.asf import SkeletonError, read_amc, read_asf
from envsuite.mocap.convert import ClipConversionError, amc_to_clip

CMU = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mocap" / "cmu"
# takes in both formats, three subjects: a walk (02), a dance (05), a walk of another subject (07)
BOTH = [("02", "02_02", "02_02"), ("05", "05_01", "05_01"), ("07", "07_01", "07_01-walk")]
# Measured on these takes (and 16_15, 49_02): BVH angles differ from the AMC's by at most 0.0002 degrees
# and root positions by 5.2e-5 length units. The BVH prints 4 decimals (+-0.00005 per value), and a
# bone's AMC angles mix its 3 BVH channels through the ASF axis rotation, so 0.0002; the tolerances sit
# just above: 0.0005 degrees, 1e-4 units (5.6 um).
ANGLE_TOLERANCE_DEG = 5e-4
ROOT_TOLERANCE_UNITS = 1e-4
# Body positions of the V2020 clips: 0.0005 degrees over the ~1 m chain from root to hand moves a point
# by < 0.01 mm, the root by 1e-4 units x 0.0564 m = 0.006 mm; measured on the whole takes: 0.0058 mm
# (05_01) and 9.2e-5 degrees of joint angle. 0.05 mm.
BODY_TOLERANCE_M = 5e-5
CLIP_FRAMES = 121  # 1 s of each take for the clip comparison (keeps the file fast)


def _need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"the shared third-party data file {path} is absent (it is not part of a user's clone)")
    return path


def _bvh_text(subject, take) -> str:
    return gzip.decompress(_need(CMU / "bvh" / subject / f"{take}.bvh.gz").read_bytes()).decode()


def _cut_bvh(text: str, frames: int) -> str:
    """The BVH with only its first `frames` frames."""
    head, motion = re.split(r"(?=^MOTION)", text, maxsplit=1, flags=re.M)
    lines = motion.split("\n")
    start = next(i for i, line in enumerate(lines) if line.lower().startswith("frame time")) + 1
    body = [line for line in lines[start:] if line.strip()][:frames]
    return head + f"MOTION\nFrames: {len(body)}\n{lines[start - 1]}\n" + "\n".join(body) + "\n"


def _cut_amc(text: str, frames: int) -> str:
    match = re.search(rf"^{frames + 1}\s*$", text, re.M)
    return text[: match.start()] if match else text


def _wrapped(d: np.ndarray) -> np.ndarray:
    return (d + 180.0) % 360.0 - 180.0


@pytest.mark.parametrize("subject,take,amc", BOTH)
def test_bvh_values_agree_with_the_amc(subject, take, amc):
    asf = _need(CMU / "asf_amc" / subject / f"{subject}.asf.gz")
    reference = read_amc(_need(CMU / "asf_amc" / subject / f"{amc}.amc.gz"), read_asf(asf), [])
    for skeleton in (asf, None):  # the subject's ASF, and the BVH's own skeleton with the CMU axes
        values, _, _, notes = B.bvh_to_values(CMU / "bvh" / subject / f"{take}.bvh.gz", asf=skeleton)
        assert values.shape == reference.shape  # the conversion's reference-pose frame 1 is left out
        assert any("reference pose" in n for n in notes)
        np.testing.assert_allclose(values[:, :3], reference[:, :3], atol=ROOT_TOLERANCE_UNITS, rtol=0)
        assert np.abs(_wrapped(values[:, 3:] - reference[:, 3:])).max() < ANGLE_TOLERANCE_DEG
        assert re.search(r"dropped: largest 0\.000\d degrees", " ".join(notes))  # the DOFs express all of it


@pytest.mark.parametrize("subject,take,amc", BOTH)
def test_bvh_clip_agrees_with_the_amc_clip(subject, take, amc, tmp_path):
    asf = _need(CMU / "asf_amc" / subject / f"{subject}.asf.gz")
    (tmp_path / f"{take}.bvh").write_text(_cut_bvh(_bvh_text(subject, take), CLIP_FRAMES + 1))
    (tmp_path / f"{amc}.amc").write_text(_cut_amc(gzip.decompress((CMU / "asf_amc" / subject / f"{amc}.amc.gz")
                                                                  .read_bytes()).decode(), CLIP_FRAMES))
    reference = amc_to_clip(tmp_path / f"{amc}.amc", asf=asf)
    clip = B.bvh_to_clip(tmp_path / f"{take}.bvh", asf=asf)
    assert clip.poses["joints"].shape == reference.poses["joints"].shape
    assert np.abs(clip.poses["joints"] - reference.poses["joints"]).max() < np.deg2rad(ANGLE_TOLERANCE_DEG)
    assert np.abs(clip.poses["body_positions"] - reference.poses["body_positions"]).max() < BODY_TOLERANCE_M
    assert clip.attrs["source"] == f"{take}.bvh".encode()
    report, expected = json.loads(clip.attrs["quality_report"]), json.loads(reference.attrs["quality_report"])
    assert report.keys() == expected.keys()  # the AMC path's report
    assert abs(float(clip.attrs["root_scale"]) - float(reference.attrs["root_scale"])) < 1e-4


# ---- the same BVH written another way

@pytest.fixture(scope="module")
def short_take():
    return _cut_bvh(_bvh_text("02", "02_02"), 20)


@pytest.fixture(scope="module")
def short_values(short_take, tmp_path_factory):
    path = tmp_path_factory.mktemp("reference") / "02_02.bvh"
    path.write_text(short_take)
    return B.bvh_to_values(path)[0]


def _values(tmp_path, text: str | bytes, name="take.bvh", rest_frame="auto"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return B.bvh_to_values(path, rest_frame=rest_frame)[0]


def _permuted_channels(text: str, order: str = "YXZ") -> str:
    """Every joint's rotation channels in `order`, the frame values recomputed for the same rotations."""
    from scipy.spatial.transform import Rotation

    bvh_lines = text.split("\n")
    channel_lines = [i for i, line in enumerate(bvh_lines) if line.strip().upper().startswith("CHANNELS")]
    start = next(i for i, line in enumerate(bvh_lines) if line.lower().startswith("frame time")) + 1
    layouts = [bvh_lines[i].split()[2:] for i in channel_lines]
    new = " ".join(f"{axis}rotation" for axis in order)
    for i, layout in zip(channel_lines, layouts):
        positions = " ".join(c for c in layout if c.lower().endswith("position"))
        bvh_lines[i] = re.sub(r"CHANNELS.*", f"CHANNELS {len(layout)} {positions} {new}".replace("  ", " "), bvh_lines[i])
    for n in range(start, len(bvh_lines)):
        if not bvh_lines[n].strip():
            continue
        values, out, k = [float(v) for v in bvh_lines[n].split()], [], 0
        for layout in layouts:
            chunk = values[k:k + len(layout)]
            k += len(layout)
            rotation = "".join(c[0].upper() for c in layout if c.lower().endswith("rotation"))
            angles = [v for v, c in zip(chunk, layout) if c.lower().endswith("rotation")]
            out += [v for v, c in zip(chunk, layout) if c.lower().endswith("position")]
            out += list(Rotation.from_euler(rotation, angles, degrees=True).as_euler(order, degrees=True))
        bvh_lines[n] = " ".join(repr(float(v)) for v in out)
    return "\n".join(bvh_lines)


def _renamed_3dsmax(text: str) -> str:
    by_bone = {bone: name for name, bone in B.NAMINGS["CMU BVH 3dsMax-friendly"].items()}
    conversion = B.NAMINGS["CMU BVH conversion"]
    return re.sub(r"^(\s*(?:ROOT|JOINT)\s+)(\S+)", lambda m: m.group(1) + by_bone[conversion[m.group(2)]], text, flags=re.M)


@pytest.mark.parametrize("variation", ["channel order YXZ", "channel order XZY", "CRLF", "tabs", "upper case",
                                       "3dsMax naming", "mixamorig prefix", "gzip"])
def test_the_same_bvh_written_another_way_gives_the_same_values(variation, short_take, short_values, tmp_path):
    text = short_take
    if variation.startswith("channel order"):
        # the reference-pose frame is no longer whole degrees in another order: left out by name
        values = _values(tmp_path, _permuted_channels(text, variation.split()[-1]), rest_frame="drop")
        np.testing.assert_allclose(values[:, :3], short_values[:, :3], atol=1e-9, rtol=0)
        assert np.abs(_wrapped(values[:, 3:] - short_values[:, 3:])).max() < 1e-6
        return
    if variation == "CRLF":
        data = text.replace("\n", "\r\n").encode()
    elif variation == "tabs":
        data = re.sub(r"[ \t]+", lambda m: "\t" if len(m.group()) == 1 else " \t ", text).replace("\n", " \t\n").encode()
    elif variation == "upper case":
        data = re.sub(r"\b(HIERARCHY|ROOT|JOINT|OFFSET|CHANNELS|End Site|MOTION|Frames|Frame Time|[XYZ](?:position|rotation))\b",
                      lambda m: m.group().upper(), text).encode()
    elif variation == "3dsMax naming":
        data = _renamed_3dsmax(text).encode()
    elif variation == "mixamorig prefix":
        data = re.sub(r"^(\s*(?:ROOT|JOINT)\s+)(\S+)", lambda m: m.group(1) + "mixamorig:" + m.group(2).replace("Left", "Left_"),
                      text, flags=re.M).encode()
    else:
        data = gzip.compress(text.encode())
    assert data != text.encode()
    np.testing.assert_array_equal(_values(tmp_path, data, "take.bvh.gz" if variation == "gzip" else "take.bvh"),
                                  short_values)


# ---- refusals

FIVE_JOINTS = """HIERARCHY
ROOT pelvis
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT spine { OFFSET 0 1 0 CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT neck { OFFSET 0 1 0 CHANNELS 3 Zrotation Xrotation Yrotation
      End Site { OFFSET 0 1 0 } } }
  JOINT thigh { OFFSET 1 0 0 CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT shin { OFFSET 0 -1 0 CHANNELS 3 Zrotation Xrotation Yrotation
      End Site { OFFSET 0 -1 0 } } }
}
MOTION
Frames: 2
Frame Time: 0.0083333
""" + "\n".join(" ".join(["0"] * 18) for _ in range(2)) + "\n"


def test_a_bvh_of_another_skeleton_is_refused_naming_its_joints(tmp_path):
    path = tmp_path / "five.bvh"
    path.write_text(FIVE_JOINTS)
    assert len(B.read_bvh(path).names) == 5
    with pytest.raises(SkeletonError, match=r"not the CMU skeleton.*3 of its 5 joints \(pelvis, thigh, shin\)"):
        B.bvh_to_values(path)
    with pytest.raises(ClipConversionError, match="skeleton"):
        B.bvh_to_clip(path)


def test_a_cmu_naming_with_a_wrong_hierarchy_is_refused(short_take, tmp_path):
    # two joint names swapped: every name is a CMU one, the hierarchy is not
    text = short_take.replace("JOINT LeftLeg", "JOINT TMP").replace("JOINT LeftFoot", "JOINT LeftLeg").replace("JOINT TMP", "JOINT LeftFoot")
    path = tmp_path / "swapped.bvh"
    path.write_text(text)
    with pytest.raises(SkeletonError, match=r"not the CMU skeleton.*LeftLeg \(ltibia\) hangs from LeftFoot"):
        B.bvh_to_values(path)


def _frame_lines(text: str) -> list[int]:
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.lower().startswith("frame time")) + 1
    return [i for i in range(start, len(lines)) if lines[i].strip()]


def test_damage_is_a_clear_error_naming_the_line(short_take, tmp_path):
    lines = short_take.split("\n")
    frames = _frame_lines(short_take)
    path = tmp_path / "bad.bvh"

    short = list(lines)
    short[frames[5]] = " ".join(short[frames[5]].split()[:-3])
    path.write_text("\n".join(short))
    with pytest.raises(B.BvhError, match=rf"bad.bvh line {frames[5] + 1}: frame 6 has 93 values, the hierarchy has 96 channels"):
        B.read_bvh(path)

    word = list(lines)
    word[frames[3]] = word[frames[3]].replace(" ", " oops ", 1)
    path.write_text("\n".join(word))
    with pytest.raises(B.BvhError, match=rf"line {frames[3] + 1}: frame 4: 'oops' is not a number"):
        B.read_bvh(path)

    path.write_text(short_take.split("MOTION")[0])
    with pytest.raises(B.BvhError, match="no MOTION section"):
        B.read_bvh(path)
    with pytest.raises(ClipConversionError, match="no MOTION section"):
        B.bvh_to_clip(path)

    path.write_text(short_take.replace("OFFSET 2.59720 -7.13576 0.00000", "OFFSET 2.59720 x 0.00000"))
    with pytest.raises(B.BvhError, match=r"line \d+: OFFSET needs 3 numbers"):
        B.read_bvh(path)

    path.write_text(short_take.replace("JOINT LeftLeg\n\t\t\t{", "JOINT LeftLeg\n"))
    with pytest.raises(B.BvhError, match=r"line \d+: JOINT LeftLeg is not followed by '\{'"):
        B.read_bvh(path)


def test_an_incomplete_last_frame_is_left_out_and_said(short_take, short_values, tmp_path):
    lines = short_take.rstrip("\n").split("\n")
    lines[-1] = " ".join(lines[-1].split()[:40])
    path = tmp_path / "cut.bvh"
    path.write_text("\n".join(lines))
    bvh = B.read_bvh(path)
    assert len(bvh.motion) == 19 and "left out" in bvh.notes[0] and "40 of 96" in bvh.notes[0]
    np.testing.assert_array_equal(B.bvh_to_values(path)[0], short_values[:-1])


# ---- the 3dsMax-friendly BVH of 131_01-03

def test_a_3dsmax_friendly_take_converts(tmp_path):
    path = tmp_path / "131_01.bvh"
    path.write_text(_cut_bvh(_bvh_text("131", "131_01"), 121))
    bvh = B.read_bvh(path)
    assert B.match_cmu_joints(bvh)[0] == "CMU BVH 3dsMax-friendly"
    assert bvh.channels[bvh.names.index("LeftElbow")] == ("zrotation", "xrotation", "yrotation")
    clip = B.bvh_to_clip(path)
    notes = " ".join(json.loads(clip.attrs["conversion_notes"]))
    assert "corrected lhumerus 90, rhumerus 90" in notes  # the hanging arms re-posed onto the ASF's
    # the elbow (1 DOF) takes the whole rotation once the arm is re-posed: the correction's twist is right
    residuals = json.loads(re.search(r"dropped: largest [^;]*; (\{[^}]*\})", notes).group(1))
    assert residuals["lradius"] < 0.01 and residuals["rradius"] < 0.01 and residuals["ltibia"] < 0.01
    assert clip.num_steps > 30 and np.isfinite(clip.poses["body_positions"]).all()
    report = json.loads(clip.attrs["quality_report"])
    assert report["floor_penetration"] < 0.01


@pytest.mark.slow
def test_every_shared_bvh_take_converts():
    paths = sorted((CMU / "bvh").glob("*/*.bvh.gz"))
    if len(paths) != 124:
        pytest.skip(f"the shared BVH takes are absent or changed ({len(paths)} of 124)")
    failures = []
    for path in paths:
        try:
            B.bvh_to_clip(path)
        except Exception as error:  # noqa: BLE001 - collect them all
            failures.append(f"{path.name}: {error}")
    assert not failures, "\n".join(failures)
