"""ASF/AMC files as real captures vary: the same take written another way converts to the same clip;
another skeleton is refused with an error that says "skeleton"; grounding and scale follow the data.

The oracle is the conversion of the real CMU take 02_01 (and its 02.asf) as the CMU database ships
it: every rewriting below is one a person reads as the same take, so its clip must be equal.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pytest

from envsuite.mocap.asf import CMU_BONE_DOFS, read_asf, read_amc, unwrap_degrees
from envsuite.mocap.convert import ClipConversionError, amc_to_clip, ground_offsets, main

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mocap"
OPTIONS = dict(root_scale="skeleton", ground="per-frame")


@pytest.fixture(scope="module")
def take():
    if not (SHARED / "02_01.amc").is_file():
        pytest.skip(f"the shared third-party data folder {SHARED} is absent (it is not part of a user's clone)")
    amc = (SHARED / "02_01.amc").read_text()
    # the first 40 frames keep the conversions quick
    cut = re.search(r"^41$", amc, re.M).start()
    return (SHARED / "02.asf").read_text(), amc[:cut]


@pytest.fixture(scope="module")
def reference(take, tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    asf, amc = take
    (folder / "02.asf").write_text(asf)
    (folder / "02_01.amc").write_text(amc)
    return amc_to_clip(folder / "02_01.amc", **OPTIONS)


def convert(folder: Path, asf: str | bytes, amc: str | bytes, **options):
    for name, text in (("02.asf", asf), ("02_01.amc", amc)):
        (folder / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return amc_to_clip(folder / "02_01.amc", **{**OPTIONS, **options})


def assert_same_clip(clip, reference, atol=0.0):
    for name, array in reference.poses.items():
        np.testing.assert_allclose(clip.poses[name], array, atol=atol, rtol=0, err_msg=name)


def shuffled_bone_lines(amc: str) -> str:
    """Each frame's bone lines in reverse order."""
    out, frame = [], []
    for line in amc.splitlines():
        if line.strip().isdigit():
            out += frame[::-1]
            frame = []
            out.append(line)
        elif frame is not None and out and out[-1].strip().isdigit() or frame:
            frame.append(line)
        else:
            out.append(line)
    return "\n".join(out + frame[::-1]) + "\n"


def reversed_dofs(asf: str, amc: str) -> tuple[str, str]:
    """Every bone's DOFs listed in reverse order in the ASF, and its values reversed in the AMC."""
    asf = re.sub(r"(dof)((?: r[xyz])+)", lambda m: m.group(1) + " " + " ".join(m.group(2).split()[::-1]), asf)
    lines = []
    for line in amc.splitlines():
        tokens = line.split()
        if len(tokens) > 2 and tokens[0] != "root" and not line.startswith(":"):
            line = " ".join([tokens[0]] + tokens[1:][::-1])
        lines.append(line)
    return asf, "\n".join(lines) + "\n"


def in_radians(asf: str, amc: str) -> tuple[str, str]:
    asf = asf.replace("angle deg", "angle rad")
    lines = []
    for line in amc.splitlines():
        tokens = line.split()
        if len(tokens) > 1 and not line.startswith((":", "#")):
            values = [float(t) for t in tokens[1:]]
            first_angle = 3 if tokens[0] == "root" else 0
            values = values[:first_angle] + [repr(float(np.deg2rad(v))) for v in values[first_angle:]]
            line = " ".join([tokens[0]] + [str(v) for v in values])
        lines.append(line)
    return asf, "\n".join(lines) + "\n"


def in_length_unit(asf: str, amc: str, unit: float) -> tuple[str, str]:
    """Lengths in another ASF unit: bone lengths and root positions rescaled to keep the same meters."""
    factor = unit / 0.45
    asf = asf.replace("length 0.45", f"length {unit}")
    asf = re.sub(r"(\blength) ([0-9.e+-]+)", lambda m: f"{m.group(1)} {float(m.group(2)) * factor!r}"
                 if m.group(2) != str(unit) else m.group(0), asf)
    lines = []
    for line in amc.splitlines():
        tokens = line.split()
        if tokens and tokens[0] == "root" and len(tokens) == 7:
            line = " ".join(["root"] + [repr(float(t) * factor) for t in tokens[1:4]] + tokens[4:])
        lines.append(line)
    return asf, "\n".join(lines) + "\n"


def test_bone_lines_in_any_order_convert_the_same(take, reference, tmp_path):
    asf, amc = take
    assert_same_clip(convert(tmp_path, asf, shuffled_bone_lines(amc)), reference)


def test_dofs_in_another_order_convert_the_same(take, reference, tmp_path):
    assert_same_clip(convert(tmp_path, *reversed_dofs(*take)), reference)


def test_angles_in_radians_convert_the_same(take, reference, tmp_path):
    assert_same_clip(convert(tmp_path, *in_radians(*take)), reference, atol=1e-9)


def test_another_length_unit_converts_the_same(take, reference, tmp_path):
    assert_same_clip(convert(tmp_path, *in_length_unit(*take, 1.0)), reference, atol=1e-9)


def test_case_spacing_comments_line_endings_gzip_and_stray_bytes_convert_the_same(take, reference, tmp_path):
    asf, amc = take
    noisy_asf = ("# exported by someone else\r\n" + asf.replace(":units", ":UNITS").replace("  ", "\t")
                 .replace("\n", "\r\n")).encode("utf-8")
    noisy_amc = b"# capture by \xe9quipe \x93B\x94\n" + amc.replace(" ", "   ").encode()  # cp1252 bytes in a comment
    assert_same_clip(convert(tmp_path, gzip.compress(noisy_asf), gzip.compress(noisy_amc)), reference)


def test_an_euler_wrap_is_unwrapped(take, reference, tmp_path):
    asf, amc = take
    lines, frame = [], 0
    for line in amc.splitlines():
        if line.strip().isdigit():
            frame = int(line)
        tokens = line.split()
        if frame >= 20 and tokens and tokens[0] == "lhumerus":  # a 360-degree wrap from frame 20 on
            line = " ".join([tokens[0], repr(float(tokens[1]) + 360.0)] + tokens[2:])
        lines.append(line)
    clip = convert(tmp_path, asf, "\n".join(lines) + "\n")
    assert_same_clip(clip, reference, atol=1e-9)
    assert float(clip.attrs["quality_angle_wraps"]) == 1.0


def test_unwrap_matches_numpys_unwrap():
    rng = np.random.default_rng(0)
    angles = np.cumsum(rng.normal(0, 20, size=(200, 9)), axis=0)
    wrapped = (angles + 180.0) % 360.0 - 180.0
    values = np.concatenate([rng.normal(size=(200, 3)), wrapped], axis=1)
    unwrapped, _ = unwrap_degrees(values)
    expected = np.rad2deg(np.unwrap(np.deg2rad(wrapped), axis=0))
    np.testing.assert_allclose(unwrapped[:, 3:], expected, atol=1e-9)
    np.testing.assert_array_equal(unwrapped[:, :3], values[:, :3])


def test_another_skeleton_is_a_skeleton_error(take, tmp_path):
    asf, amc = take
    renamed = asf.replace("lfemur", "LeftUpLeg")
    with pytest.raises(ClipConversionError, match="skeleton.*no bone lfemur"):
        convert(tmp_path, renamed, amc)
    fewer_dofs = re.sub(r"(name ltibia\s+(?:.*\n)*?\s*dof) rx", r"\1 rx rz", asf, count=1)
    with pytest.raises(ClipConversionError, match="skeleton.*ltibia has DOFs rx rz"):
        convert(tmp_path, fewer_dofs, amc)
    with pytest.raises(ClipConversionError, match="not an ASF skeleton"):
        convert(tmp_path, "just some text\n", amc)
    bone = "  begin\n     id 99\n     name tail\n     direction 0 1 0\n     length 1\n     axis 0 0 0 XYZ\n    dof rx\n  end\n"
    extra = asf.replace(":hierarchy", bone.join(["", ""]) + ":hierarchy", 1).replace("  end\n:hierarchy", "  end\n" + bone + ":hierarchy")
    if "name tail" in extra:
        with pytest.raises(ClipConversionError, match="skeleton.*motion the humanoid has no joint for: tail"):
            convert(tmp_path, extra, amc)


def test_an_amc_of_another_skeleton_is_refused_by_frame(take, tmp_path):
    asf, amc = take
    with pytest.raises(ClipConversionError, match="frame 1: lfemur has 2 values"):
        convert(tmp_path, asf, re.sub(r"^(lfemur \S+ \S+) \S+$", r"\1", amc, count=1, flags=re.M))
    with pytest.raises(ClipConversionError, match="bone 'wing' is not in the skeleton"):
        convert(tmp_path, asf, amc.replace("\nlfemur", "\nwing 1 2 3\nlfemur", 1))


def test_the_root_scale_comes_from_the_skeletons_legs(take, reference, tmp_path):
    asf, amc = take
    longer = re.sub(r"(name [lr](?:femur|tibia)\s+id?.*?length) ([0-9.]+)",
                    lambda m: f"{m.group(1)} {float(m.group(2)) * 2!r}", asf, flags=re.S)
    skeleton, doubled = read_asf(SHARED / "02.asf"), None
    path = tmp_path / "long.asf"
    path.write_text(longer)
    doubled = read_asf(path)
    if doubled.leg_length_m() != pytest.approx(2 * skeleton.leg_length_m()):
        longer = asf
        for side in "lr":
            for bone in ("femur", "tibia"):
                length = skeleton.bones[f"{side}{bone}"].length
                longer = re.sub(rf"(name {side}{bone}(?:(?!end).)*?length\s+){re.escape(repr(length))[:6]}\S*",
                                lambda m: f"{m.group(1)}{length * 2!r}", longer, flags=re.S)
        path.write_text(longer)
        doubled = read_asf(path)
    assert doubled.leg_length_m() == pytest.approx(2 * skeleton.leg_length_m())
    clip = convert(tmp_path, longer, amc)
    assert float(clip.attrs["root_scale"]) == pytest.approx(float(reference.attrs["root_scale"]) / 2, rel=1e-12)


def test_ground_modes_follow_their_definitions():
    dt = 0.03
    t = np.arange(200) * dt
    drift = 0.02 * t  # a capture floor drifting up 2 cm per second
    jump = np.where((t > 2.0) & (t < 2.5), 0.4 * np.sin((t - 2.0) / 0.5 * np.pi), 0.0)
    sway = 0.02 * np.abs(np.sin(t * 3))  # contact noise: a few cm
    heights = drift + jump + sway
    np.testing.assert_array_equal(heights - ground_offsets(heights, "per-frame", dt), 0.0)
    np.testing.assert_allclose(heights - ground_offsets(heights, "first-frame", dt), heights - heights[0])
    after = heights - ground_offsets(heights, "auto", dt)
    assert after.min() >= 0.0
    assert after[(t > 2.15) & (t < 2.35)].min() > 0.2  # the flight stays in the air
    assert after[t < 1.5].max() < 1e-12 and after[t > 3.5].max() < 1e-12  # contact noise and drift grounded


def test_the_cli_takes_the_skeleton_and_prints_the_quality_report(take, tmp_path, capsys):
    asf, amc = take
    (tmp_path / "skeletons").mkdir()
    (tmp_path / "skeletons" / "skeleton.asf").write_text(asf)
    (tmp_path / "02_01.amc").write_text(amc)
    out = tmp_path / "clips.h5"
    assert main([str(tmp_path / "02_01.amc"), "--out", str(out)]) == 1  # no 02.asf beside it
    assert "no ASF skeleton" in capsys.readouterr().err
    assert main([str(tmp_path / "02_01.amc"), "--asf", str(tmp_path / "skeletons" / "skeleton.asf"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "02_01: 11 steps" in printed and "foot_skating" in printed and "floor_penetration" in printed
    from envsuite.mocap import read_clips

    assert set(read_clips(out)) == {"02_01"}


def read_shared_takes(folder: Path, takes_per_subject: int | None):
    read, refused, notes = 0, [], []
    for subject in sorted(folder.iterdir()):
        asf = next(subject.glob("*.asf.gz"))
        skeleton = read_asf(asf)
        for amc in sorted(subject.glob("*.amc.gz"))[:takes_per_subject]:
            try:
                take_notes = []
                values = read_amc(amc, skeleton, take_notes)
                notes += [(amc.name, note) for note in take_notes]
            except ValueError as error:
                refused.append((amc.name, str(error)))
                continue
            assert values.shape[1] == 6 + sum(len(d) for _, d in CMU_BONE_DOFS)
            read += 1
    return read, refused, notes


def test_a_take_of_every_shared_subject_reads_with_its_skeleton(shared_data):
    read, refused, _ = read_shared_takes(shared_data / "mocap" / "cmu" / "asf_amc", 1)
    assert (read, refused) == (18, [])


@pytest.mark.slow
def test_every_shared_take_reads_with_its_skeleton(shared_data):
    """All 261 ASF/AMC takes of the shared CMU folder (91 s: run with -m slow; the test above reads one per subject)."""
    read, refused, notes = read_shared_takes(shared_data / "mocap" / "cmu" / "asf_amc", None)
    assert (read, refused) == (261, [])
    assert [name for name, _ in notes] == ["07_12-walk.amc.gz"]  # its last frame is cut: left out, said so


def test_a_take_whose_last_frame_is_cut_converts_without_it_and_says_so(take, reference, tmp_path):
    asf, amc = take
    cut = amc + "41\nroot 1 2 3 4 5 6\nlowerback 1 2 3\n"
    clip = convert(tmp_path, asf, cut)
    assert_same_clip(clip, reference)
    assert float(clip.attrs["quality_dropped_frames"]) == 1.0 and b"the file was cut" in clip.attrs["conversion_notes"]
