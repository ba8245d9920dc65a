"""BVH motion files of the CMU capture, retargeted onto the CMU ASF skeleton and converted by the AMC path.

Where it sits: the MoCap family's importer (envsuite/mocap/), a reader of BVH files that feeds the
AMC converter (convert.py). A BVH take becomes the values of a canonical AMC (asf.write_canonical_amc's
layout: root 6, then CMU_BONE_DOFS, degrees, parse_amc's length units), which is written to a
temporary file with a canonical ASF and handed to `convert.amc_to_clip`: dm_control's parse_amc,
grounding, root scale, velocities and the quality report are the AMC path's (one retargeting path).

- `read_bvh`: the hierarchy (names, parents, offsets, channels, End Sites) and the motion (frames x
  channels, frame time); gzip or plain, UTF-8 else Windows-1252, CRLF, tabs, keywords in any case,
  any channel order per joint. Damage is a BvhError naming the file and the line; an incomplete last
  frame is left out and said in `notes`.
- `match_cmu_joints`: the BVH's joint names -> CMU ASF bone names, for the common namings of the CMU
  BVH releases: the widespread conversion (Hips, LHipJoint, LeftUpLeg, ..., LThumb), the
  "3dsMax-friendly" one (LeftHip, LeftKnee, ..., LeftCollar, LeftShoulder, LeftElbow; CMU 131_01-03)
  and the ASF's own names; a 'prefix:' (mixamorig:) and case/underscore/space variants are accepted.
  A naming is taken as a whole (Neck is lowerneck in one, upperneck in the other); a BVH whose joints
  do not all map, or whose hierarchy is not the CMU one, is a SkeletonError that says "skeleton".
- `bvh_to_amc_values`: per frame, each joint's rotation relative to its parent from its channels,
  R_local (BVH channels compose in listed order: R = R_c1 R_c2 R_c3). With C_b the ASF axis rotation
  of bone b and Q_j the rest-pose correction of the joint (below), the ASF local rotation is
  Q_parent^-1 R_local Q_j and the AMC rotation L_b = C_b^-1 (Q_parent^-1 R_local Q_j) C_b, decomposed
  as Rz Ry Rx (the order of the humanoid's hinges and of the ASF XYZ convention) into the bone's DOFs.
  A bone with fewer DOFs loses the rest of its rotation: the largest such residual is in `notes`.
  Rest pose: the widespread conversion's offsets are the ASF's bone vectors (checked on 02, 05, 07:
  within the 5 printed decimals), so Q = I there. The 3dsMax naming has its arms hanging (-Y) where
  the ASF's point sideways: Q_j is the smallest rotation taking the ASF direction (after the parent's
  Q) onto the BVH's, applied only where they differ by more than REST_TOLERANCE_DEG; a bone whose
  BVH vector is zero (the conversion drops thorax's and the wrists') inherits its parent's Q.
  Root translation: BVH units x (ASF leg length / BVH leg length, femur + tibia) -> ASF units: 1.000
  for the CMU conversion, whose offsets are the ASF's lengths in its own units (0.45 per inch).
- Without an ASF, the skeleton is the BVH's own: lengths and directions from its offsets (a direction
  more than 45 degrees from the CMU one, the hanging arms, keeps the CMU direction and is corrected),
  axes from CMU_AXES, which are the same in all 18 CMU subject ASFs of ../shared/data (checked).
- `bvh_to_qpos` / `bvh_to_clip`: what the library stores, and the clip, by way of convert.amc_to_qpos.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from envsuite.mocap.asf import (CMU_BONE_DOFS, CMU_LENGTH_UNIT, Bone, Skeleton, SkeletonError, is_number, read_asf,
                                read_text)


class BvhError(SkeletonError):
    """A BVH file cannot be read; the message names the file and the line."""


REST_TOLERANCE_DEG = 2.0  # BVH and ASF rest directions closer than this are the same (printed decimals)
SYNTHETIC_DIRECTION_DEG = 45.0  # without an ASF: a BVH bone further than this from the CMU direction is re-posed
MOCAP_DT = 1.0 / 120.0  # what parse_amc assumes

# The CMU ASF hierarchy (every subject's :hierarchy section): bone -> parent
CMU_PARENTS = {
    "lhipjoint": "root", "lfemur": "lhipjoint", "ltibia": "lfemur", "lfoot": "ltibia", "ltoes": "lfoot",
    "rhipjoint": "root", "rfemur": "rhipjoint", "rtibia": "rfemur", "rfoot": "rtibia", "rtoes": "rfoot",
    "lowerback": "root", "upperback": "lowerback", "thorax": "upperback", "lowerneck": "thorax",
    "upperneck": "lowerneck", "head": "upperneck",
    "lclavicle": "thorax", "lhumerus": "lclavicle", "lradius": "lhumerus", "lwrist": "lradius",
    "lhand": "lwrist", "lfingers": "lhand", "lthumb": "lwrist",
    "rclavicle": "thorax", "rhumerus": "rclavicle", "rradius": "rhumerus", "rwrist": "rradius",
    "rhand": "rwrist", "rfingers": "rhand", "rthumb": "rwrist",
}
# ASF `axis` (degrees, XYZ) and `direction` of the CMU bones (02.asf; the axes are equal in all 18 subject
# ASFs of ../shared/data up to +-180 about x, the same rotation; directions vary a little by subject)
CMU_AXES = {
    "lhipjoint": (0, 0, 0), "lfemur": (0, 0, 20), "ltibia": (0, 0, 20), "lfoot": (-90, 0, 20), "ltoes": (-90, 0, 20),
    "rhipjoint": (0, 0, 0), "rfemur": (0, 0, -20), "rtibia": (0, 0, -20), "rfoot": (-90, 0, -20), "rtoes": (-90, 0, -20),
    "lowerback": (0, 0, 0), "upperback": (0, 0, 0), "thorax": (0, 0, 0), "lowerneck": (0, 0, 0),
    "upperneck": (0, 0, 0), "head": (0, 0, 0),
    "lclavicle": (0, 0, 0), "lhumerus": (180, -30, -90), "lradius": (180, -30, -90), "lwrist": (0, 90, 90),
    "lhand": (0, 90, 90), "lfingers": (0, 90, 90), "lthumb": (-90, 45, 0),
    "rclavicle": (0, 0, 0), "rhumerus": (180, 30, 90), "rradius": (180, 30, 90), "rwrist": (0, -90, -90),
    "rhand": (0, -90, -90), "rfingers": (0, -90, -90), "rthumb": (-90, -45, 0),
}
CMU_DIRECTIONS = {
    "lhipjoint": (0.655637, -0.713449, 0.247245), "lfemur": (0.34202, -0.939693, 0), "ltibia": (0.34202, -0.939693, 0),
    "lfoot": (0.0886837, -0.243657, 0.965798), "ltoes": (0, 0, 1),
    "rhipjoint": (-0.645062, -0.722004, 0.250209), "rfemur": (-0.34202, -0.939693, 0), "rtibia": (-0.34202, -0.939693, 0),
    "rfoot": (-0.102907, -0.282735, 0.953662), "rtoes": (0, 0, 1),
    "lowerback": (0.00952301, 0.997604, -0.0685217), "upperback": (0.00494399, 0.999577, -0.0286701),
    "thorax": (0.000729686, 0.999992, 0.00388603), "lowerneck": (0.00452882, 0.995459, 0.0950816),
    "upperneck": (0.021922, 0.997711, -0.0639762), "head": (0.008024, 0.999444, -0.0323691),
    "lclavicle": (0.967826, 0.247107, -0.0474446), "lhumerus": (1, 0, 0), "lradius": (1, 0, 0), "lwrist": (1, 0, 0),
    "lhand": (1, 0, 0), "lfingers": (1, 0, 0), "lthumb": (0.707107, 0, 0.707107),
    "rclavicle": (-0.973174, 0.211421, -0.0907389), "rhumerus": (-1, 0, 0), "rradius": (-1, 0, 0), "rwrist": (-1, 0, 0),
    "rhand": (-1, 0, 0), "rfingers": (-1, 0, 0), "rthumb": (-0.707107, 0, 0.707107),
}


def _sided(table: dict[str, str]) -> dict[str, str]:
    """{'Left...': 'l...'} completed with the right side (Left->Right, L->R at the start, l->r)."""
    out = dict(table)
    for name, bone in table.items():
        if bone[0] == "l" and bone != "lowerback" and bone != "lowerneck":
            right = re.sub(r"^Left", "Right", name) if name.startswith("Left") else "R" + name[1:] if name[0] == "L" else "r" + name[1:]
            out[right] = "r" + bone[1:]
    return out


# The BVH joint that carries each bone's rotation: its children's offsets are the bone's vector
NAMINGS = {
    "CMU BVH conversion": _sided({
        "Hips": "root", "LHipJoint": "lhipjoint", "LeftUpLeg": "lfemur", "LeftLeg": "ltibia", "LeftFoot": "lfoot",
        "LeftToeBase": "ltoes", "LowerBack": "lowerback", "Spine": "upperback", "Spine1": "thorax",
        "Neck": "lowerneck", "Neck1": "upperneck", "Head": "head", "LeftShoulder": "lclavicle",
        "LeftArm": "lhumerus", "LeftForeArm": "lradius", "LeftHand": "lwrist", "LeftFingerBase": "lhand",
        "LeftHandIndex1": "lfingers", "LThumb": "lthumb"}),
    "CMU BVH 3dsMax-friendly": _sided({
        "Hips": "root", "LHipJoint": "lhipjoint", "LeftHip": "lfemur", "LeftKnee": "ltibia", "LeftAnkle": "lfoot",
        "LeftToe": "ltoes", "lowerback": "lowerback", "Chest": "upperback", "Chest2": "thorax",
        "lowerneck": "lowerneck", "Neck": "upperneck", "Head": "head", "LeftCollar": "lclavicle",
        "LeftShoulder": "lhumerus", "LeftElbow": "lradius", "LeftWrist": "lwrist", "lhand": "lhand",
        "LFingers": "lfingers", "LThumb": "lthumb"}),
    "CMU ASF names": {name: name for name in ["root", *CMU_PARENTS]},
}


def normalise_name(name: str) -> str:
    """'mixamorig:Left_Up_Leg' -> 'leftupleg': a namespace prefix, case, '_', '-', '.' and spaces dropped."""
    return re.sub(r"[\s_.\-]", "", name.rsplit(":", 1)[-1].rsplit("|", 1)[-1]).lower()


_NORMALISED = {naming: {normalise_name(k): v for k, v in table.items()} for naming, table in NAMINGS.items()}


@dataclass
class Bvh:
    path: Path
    names: list[str]
    parents: list[int]  # -1: the root
    offsets: np.ndarray  # (J, 3)
    channels: list[tuple[str, ...]]  # per joint, lower case: 'xposition', 'zrotation', ...
    end_sites: dict[int, np.ndarray]  # joint index -> its End Site's offset
    motion: np.ndarray  # (frames, channels)
    frame_time: float
    notes: list[str] = field(default_factory=list)

    def channel_index(self, joint: int) -> int:
        return sum(len(c) for c in self.channels[:joint])


CHANNEL_NAMES = ("xposition", "yposition", "zposition", "xrotation", "yrotation", "zrotation")


def read_bvh(path) -> Bvh:
    """Parse a BVH file (see the module docstring for what varies); BvhError names the file and line."""
    path = Path(path)
    lines = read_text(path).split("\n")
    tokens = [(tok, n) for n, line in enumerate(lines, start=1) for tok in line.replace("{", " { ").replace("}", " } ").split()]
    names, parents, offsets, channels, end_sites = [], [], [], [], {}
    stack: list[int] = []  # open joints (-2: an End Site)
    i, motion_line = 0, None

    def fail(message, line):
        raise BvhError(f"{path} line {line}: {message}")

    def take(k):
        if i + k > len(tokens):
            fail("the file ends inside the HIERARCHY", len(lines))
        return tokens[i:i + k]

    if not tokens or tokens[0][0].upper() != "HIERARCHY":
        fail("a BVH file starts with HIERARCHY", tokens[0][1] if tokens else 1)
    i = 1
    while i < len(tokens):
        word, line = tokens[i]
        key = word.upper()
        if key == "MOTION":
            motion_line = line
            i += 1
            break
        if key in ("ROOT", "JOINT"):
            if key == "ROOT" and stack:
                fail("ROOT inside another joint", line)
            if key == "JOINT" and (not stack or stack[-1] == -2):
                fail(f"JOINT {take(2)[1][0]} outside a joint", line)
            name_tokens = []
            i += 1
            while i < len(tokens) and tokens[i][0] != "{" and tokens[i][1] == line:
                name_tokens.append(tokens[i][0])
                i += 1
            if not name_tokens:
                fail(f"{word} without a name", line)
            if i >= len(tokens) or tokens[i][0] != "{":
                fail(f"{word} {' '.join(name_tokens)} is not followed by '{{'", line)
            i += 1
            names.append(" ".join(name_tokens))
            parents.append(stack[-1] if stack else -1)
            offsets.append(None)
            channels.append(())
            stack.append(len(names) - 1)
        elif key == "END":
            if not stack or stack[-1] == -2:
                fail("End Site outside a joint", line)
            _, (site, _), (brace, _) = take(3)
            if site.upper() != "SITE" or brace != "{":
                fail("'End' must be 'End Site {'", line)
            end_sites[stack[-1]] = None
            i += 3
            stack.append(-2)
        elif key == "OFFSET":
            values = take(4)[1:]
            try:
                offset = np.array([float(v) for v, _ in values])
            except ValueError:
                fail(f"OFFSET needs 3 numbers, got {' '.join(v for v, _ in values)}", line)
            if not stack:
                fail("OFFSET outside a joint", line)
            if stack[-1] == -2:
                end_sites[stack[-2]] = offset
            else:
                offsets[stack[-1]] = offset
            i += 4
        elif key == "CHANNELS":
            if not stack or stack[-1] == -2:
                fail("CHANNELS outside a joint", line)
            try:
                count = int(take(2)[1][0])
            except ValueError:
                fail(f"CHANNELS needs a count, got {take(2)[1][0]!r}", line)
            found = tuple(t.lower() for t, _ in take(2 + count)[2:])
            bad = [c for c in found if c not in CHANNEL_NAMES]
            if bad or len(set(found)) != len(found):
                fail(f"CHANNELS {count} {' '.join(found)}: {', '.join(bad) or 'repeated'} is not a channel "
                     f"(Xposition ... Zrotation, each once)", line)
            channels[stack[-1]] = found
            i += 2 + count
        elif word == "}":
            if not stack:
                fail("'}' without an open joint", line)
            stack.pop()
            i += 1
        else:
            fail(f"unexpected {word!r} in the HIERARCHY", line)
    if motion_line is None:
        raise BvhError(f"{path}: no MOTION section (line {len(lines)} is the last): the file holds a hierarchy only")
    if stack:
        fail(f"the HIERARCHY is not closed ({len(stack)} '}}' missing) before MOTION", motion_line)
    if not names:
        fail("the HIERARCHY holds no joint", motion_line)
    for j, offset in enumerate(offsets):
        if offset is None:
            raise BvhError(f"{path}: joint {names[j]} has no OFFSET")
    for j, site in end_sites.items():
        if site is None:
            raise BvhError(f"{path}: the End Site of {names[j]} has no OFFSET")

    # MOTION: 'Frames: N', 'Frame Time: t', then one frame a line
    header, n_channels = {}, sum(len(c) for c in channels)
    row = lines_after = motion_line
    for row in range(motion_line, len(lines)):
        text = lines[row].strip()
        if not text:
            continue
        match = re.match(r"(frames|frame\s*time)\s*:?\s*(\S+)\s*$", text, re.I)
        if not match:
            break
        key = "frames" if match.group(1).lower() == "frames" else "time"
        try:
            header[key] = int(match.group(2)) if key == "frames" else float(match.group(2))
        except ValueError:
            fail(f"{text!r}: not a number", row + 1)
        lines_after = row + 1
    if set(header) != {"frames", "time"}:
        fail("MOTION must be followed by 'Frames: N' and 'Frame Time: T'", motion_line)
    if not header["time"] > 0:
        fail(f"Frame Time {header['time']} must be positive", motion_line)
    data_lines = [(n + 1, lines[n]) for n in range(lines_after, len(lines)) if lines[n].strip()]
    frames, notes = [], []
    for k, (n, text) in enumerate(data_lines):
        parts = text.split()
        try:
            values = [float(v) for v in parts]
        except ValueError:
            bad = next(v for v in parts if not is_number(v))
            fail(f"frame {k + 1}: {bad!r} is not a number", n)
        if len(values) != n_channels:
            if k == len(data_lines) - 1 and len(values) < n_channels and frames:
                notes.append(f"the last frame ({k + 1}, line {n}) has {len(values)} of {n_channels} values "
                             f"(the file was cut): left out")
                break
            fail(f"frame {k + 1} has {len(values)} values, the hierarchy has {n_channels} channels", n)
        frames.append(values)
    if not frames:
        raise BvhError(f"{path}: the MOTION section holds no frames")
    if len(frames) != header["frames"] and not (notes and len(frames) + 1 == header["frames"]):
        notes.append(f"'Frames: {header['frames']}' but {len(frames)} frame(s) follow: read {len(frames)}")
    return Bvh(path, names, parents, np.array(offsets, dtype=float).reshape(-1, 3), channels, end_sites,
               np.array(frames, dtype=float).reshape(len(frames), n_channels), float(header["time"]), notes)


def match_cmu_joints(bvh: Bvh) -> tuple[str, list[str]]:
    """(the naming's name, the CMU bone of each BVH joint); SkeletonError ("skeleton") if none fits."""
    normalised = [normalise_name(n) for n in bvh.names]
    best = None
    for naming, table in _NORMALISED.items():
        unmatched = [bvh.names[j] for j, n in enumerate(normalised) if n not in table]
        if best is None or len(unmatched) < len(best[1]):
            best = (naming, unmatched)
        if unmatched:
            continue
        bones = [table[n] for n in normalised]
        problems = []
        needed = ["root", *CMU_PARENTS]
        missing = [b for b in needed if b not in bones]
        repeated = sorted({b for b in bones if bones.count(b) > 1})
        if missing:
            problems.append(f"no joint for the bone(s) {', '.join(missing)}")
        if repeated:
            problems.append(f"several joints for {', '.join(repeated)}")
        for j, bone in enumerate(bones):
            parent = bones[bvh.parents[j]] if bvh.parents[j] >= 0 else None
            if CMU_PARENTS.get(bone) != parent:
                problems.append(f"joint {bvh.names[j]} ({bone}) hangs from {bvh.names[bvh.parents[j]] if parent else 'nothing'}"
                                f", the CMU skeleton's {bone} from {CMU_PARENTS.get(bone, 'nothing')}")
        if problems:
            raise SkeletonError(f"{bvh.path}: its joints are named as in the {naming} but it is not the CMU skeleton "
                                f"({'; '.join(problems[:6])})")
        return naming, bones
    naming, unmatched = best
    raise SkeletonError(
        f"{bvh.path}: not the CMU skeleton humanoid_CMU_V2020 expects: {len(unmatched)} of its {len(bvh.names)} joints "
        f"({', '.join(unmatched[:12])}{', ...' if len(unmatched) > 12 else ''}) match no bone in the closest naming "
        f"({naming}); known namings: {', '.join(NAMINGS)}")


# ---- rotations (column vectors; all (..., 3, 3))

def _axis_rotation(axis: str, degrees: np.ndarray) -> np.ndarray:
    a = np.deg2rad(np.asarray(degrees, dtype=float))
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    rows = {"x": [[o, z, z], [z, c, -s], [z, s, c]], "y": [[c, z, s], [z, o, z], [-s, z, c]],
            "z": [[c, -s, z], [s, c, z], [z, z, o]]}[axis]
    return np.moveaxis(np.array(rows), (0, 1), (-2, -1))


def asf_axis_matrix(angles_deg, order: str = "XYZ") -> np.ndarray:
    """The ASF `axis` rotation: rotations about the axes in `order`, the first applied first (XYZ: Rz Ry Rx)."""
    out = np.eye(3)
    for axis, angle in zip(order.lower(), angles_deg):
        out = _axis_rotation(axis, angle) @ out
    return out


def _decompose_zyx(m: np.ndarray) -> np.ndarray:
    """(..., 3) angles (x, y, z) in degrees of m = Rz Ry Rx; |y| <= 90."""
    y = np.arcsin(np.clip(-m[..., 2, 0], -1.0, 1.0))
    x = np.arctan2(m[..., 2, 1], m[..., 2, 2])
    z = np.arctan2(m[..., 1, 0], m[..., 0, 0])
    return np.rad2deg(np.stack([x, y, z], axis=-1))


def _twist_degrees(m: np.ndarray, axis: str) -> np.ndarray:
    """The angle about one axis closest to rotation m (the twist of its swing-twist decomposition)."""
    k = "xyz".index(axis)
    w = np.sqrt(np.maximum(1.0 + np.trace(m, axis1=-2, axis2=-1), 0.0)) / 2.0
    a, b = [(2, 1), (0, 2), (1, 0)][k]
    v = (m[..., a, b] - m[..., b, a]) / 4.0  # = w * q_axis
    return np.rad2deg(2.0 * np.arctan2(v, w * w))


def _rotation_angle_degrees(m: np.ndarray) -> np.ndarray:
    return np.rad2deg(np.arccos(np.clip((np.trace(m, axis1=-2, axis2=-1) - 1.0) / 2.0, -1.0, 1.0)))


def _smallest_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The rotation by the smallest angle taking direction a onto direction b."""
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    v, c = np.cross(a, b), float(np.dot(a, b))
    if np.linalg.norm(v) < 1e-12:
        if c > 0:
            return np.eye(3)
        perpendicular = np.cross(a, [1.0, 0, 0] if abs(a[0]) < 0.9 else [0, 1.0, 0])
        perpendicular /= np.linalg.norm(perpendicular)
        return 2.0 * np.outer(perpendicular, perpendicular) - np.eye(3)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1.0 + c)


def joint_rotations(bvh: Bvh, joint: int) -> np.ndarray:
    """(frames, 3, 3) rotation of a joint relative to its parent: its rotation channels in listed order."""
    start = bvh.channel_index(joint)
    out = np.broadcast_to(np.eye(3), (len(bvh.motion), 3, 3)).copy()
    for k, name in enumerate(bvh.channels[joint]):
        if name.endswith("rotation"):
            out = out @ _axis_rotation(name[0], bvh.motion[:, start + k])
    return out


def bone_vectors(bvh: Bvh, bones: list[str]) -> dict[str, np.ndarray]:
    """Each bone's vector in the BVH's rest pose: the first non-zero offset of its joint's children, else its End Site."""
    out = {}
    for j, bone in enumerate(bones):
        children = [bvh.offsets[k] for k, p in enumerate(bvh.parents) if p == j]
        if j in bvh.end_sites:
            children.append(bvh.end_sites[j])
        vector = next((c for c in children if np.linalg.norm(c) > 1e-9), np.zeros(3))
        out[bone] = np.asarray(vector, dtype=float)
    return out


def skeleton_from_bvh(bvh: Bvh, bones: list[str] | None = None) -> Skeleton:
    """The ASF-equivalent skeleton of a BVH: lengths and directions from its offsets, axes from CMU_AXES.

    A direction more than SYNTHETIC_DIRECTION_DEG from the CMU one (the 3dsMax naming's hanging arms)
    keeps the CMU direction, so that the rest-pose correction re-poses it; a zero vector (the
    conversion drops thorax and the wrists) keeps the CMU direction with length 0. Units: the CMU
    conversion's (0.45 per inch).
    """
    if bones is None:
        bones = match_cmu_joints(bvh)[1]
    vectors = bone_vectors(bvh, bones)
    skeleton_bones = {}
    for name, dofs in [(b, ()) for b in CMU_PARENTS]:
        vector = vectors[name]
        length = float(np.linalg.norm(vector))
        standard = np.asarray(CMU_DIRECTIONS[name], dtype=float)
        standard /= np.linalg.norm(standard)
        direction = standard
        if length > 1e-9:
            angle = np.rad2deg(np.arccos(np.clip(np.dot(vector / length, standard), -1, 1)))
            if angle <= SYNTHETIC_DIRECTION_DEG:
                direction = vector / length
        skeleton_bones[name] = Bone(name=name, length=length, direction=tuple(float(v) for v in direction),
                                    axis_order="XYZ", dofs=dict(CMU_BONE_DOFS).get(name, ()))
    skeleton = Skeleton(Path(f"{bvh.path.name.split('.')[0]} (from the BVH)"), CMU_LENGTH_UNIT, "deg",
                        ("tx", "ty", "tz", "rx", "ry", "rz"), skeleton_bones)
    skeleton.axes = dict(CMU_AXES)  # type: ignore[attr-defined]
    return skeleton


def read_asf_axes(path) -> dict[str, tuple[float, float, float]]:
    """The `axis` angles of each bone of an ASF (read_asf keeps only the order)."""
    axes, name = {}, None
    for line in read_text(path).split("\n"):
        tokens = line.split("#", 1)[0].split()
        if len(tokens) >= 2 and tokens[0].lower() == "name":
            name = tokens[1].lower()
        elif len(tokens) >= 4 and tokens[0].lower() == "axis" and name is not None:
            try:
                axes[name] = tuple(float(t) for t in tokens[1:4])
            except ValueError:
                pass
    return axes


def bvh_to_amc_values(bvh: Bvh, asf: Skeleton, notes: list[str] | None = None,
                      dropped: dict[str, float] | None = None) -> np.ndarray:
    """(frames, 62) canonical AMC values (write_canonical_amc's layout, degrees, parse_amc units) of a BVH
    take on the ASF skeleton `asf` (a read_asf Skeleton, or skeleton_from_bvh's); see the module docstring.

    notes gets what was done; dropped (bone -> degrees) the largest rotation of each bone with fewer
    than three DOFs that its DOFs cannot express (also in notes)."""
    notes = notes if notes is not None else []
    naming, bones = match_cmu_joints(bvh)
    joint_of = {bone: j for j, bone in enumerate(bones)}
    axes = getattr(asf, "axes", None) or read_asf_axes(asf.path)
    missing = [name for name in CMU_PARENTS if name not in axes or name not in asf.bones]
    if missing:
        raise SkeletonError(f"{asf.path}: the skeleton has no bone(s) {', '.join(missing)}")
    vectors = bone_vectors(bvh, bones)

    # rest-pose correction Q per bone (G_asf = G_bvh Q), parents first
    q = {"root": np.eye(3)}
    corrected = []
    for name in CMU_PARENTS:  # parents come before children in this order
        parent_q = q[CMU_PARENTS[name]]
        vector = vectors[name]
        q[name] = parent_q
        if np.linalg.norm(vector) > 1e-9:
            direction = parent_q @ np.asarray(asf.bones[name].direction, dtype=float)
            if np.linalg.norm(direction) > 1e-9:
                angle = np.rad2deg(np.arccos(np.clip(np.dot(direction / np.linalg.norm(direction),
                                                            vector / np.linalg.norm(vector)), -1, 1)))
                if angle > REST_TOLERANCE_DEG:
                    q[name] = _smallest_rotation(direction, vector) @ parent_q
                    corrected.append(f"{name} {angle:.0f}")
    if corrected:
        notes.append(f"rest pose of the BVH ({naming}) differs from the ASF's: corrected "
                     f"{', '.join(corrected)} (degrees)")

    root = joint_of["root"]
    start, channels = bvh.channel_index(root), bvh.channels[root]
    if not all(f"{a}position" in channels for a in "xyz"):
        raise SkeletonError(f"{bvh.path}: the root joint {bvh.names[root]} has no Xposition Yposition Zposition channels")
    position = np.stack([bvh.motion[:, start + channels.index(f"{a}position")] for a in "xyz"], axis=1) + bvh.offsets[root]
    legs_bvh = np.mean([np.linalg.norm(vectors[f"{s}femur"]) + np.linalg.norm(vectors[f"{s}tibia"]) for s in "lr"])
    legs_asf = np.mean([asf.bones[f"{s}femur"].length + asf.bones[f"{s}tibia"].length for s in "lr"])
    if not legs_bvh > 0:
        raise SkeletonError(f"{bvh.path}: the skeleton's legs have length 0 (femur and tibia offsets)")
    ratio = legs_asf / legs_bvh
    notes.append(f"root translation: BVH units x {ratio:.4f} (ASF leg length / BVH leg length) -> ASF units")
    root_rotation = joint_rotations(bvh, root) @ q["root"]
    out = [position * ratio * CMU_LENGTH_UNIT / asf.length_unit, _decompose_zyx(root_rotation)]
    residuals, carried, carry = {}, {}, {}
    for name, dofs in CMU_BONE_DOFS:
        j = joint_of[name]
        local = q[CMU_PARENTS[name]].T @ joint_rotations(bvh, j) @ q[name]
        if CMU_PARENTS[name] in carry:
            local = carry[CMU_PARENTS[name]] @ local
        c = asf_axis_matrix(axes[name], asf.bones[name].axis_order)
        amc = c.T @ local @ c
        if len(dofs) == 1:
            angles = {dofs[0]: _twist_degrees(amc, dofs[0][1])}
        else:
            angles = dict(zip(("rx", "ry", "rz"), _decompose_zyx(amc).T))
        values = np.stack([angles[d] for d in dofs], axis=1)
        if len(dofs) < 3:
            kept = np.broadcast_to(np.eye(3), amc.shape).copy()
            for axis in "zyx":
                if f"r{axis}" in dofs:
                    kept = kept @ _axis_rotation(axis, angles[f"r{axis}"])
            rest = np.swapaxes(kept, -1, -2) @ amc
            residuals[name] = float(_rotation_angle_degrees(rest).max(initial=0.0))
            if np.linalg.norm(vectors[name]) < 1e-9 and residuals[name] > 0.01:
                # a bone of length 0 in the BVH (its children start where it does): what its DOFs cannot
                # express moves to its children, which keeps every point of the pose
                carry[name] = c @ rest @ c.T
                carried[name] = residuals[name]
                residuals[name] = 0.0
        out.append(values)
    if carried:
        notes.append("rotation of a zero-length bone its DOFs cannot express, moved to its children: "
                     + ", ".join(f"{k} up to {v:.1f} degrees" for k, v in sorted(carried.items())))
    if dropped is not None:
        dropped.update(residuals)
    worst = max(residuals, key=residuals.get)
    notes.append(f"rotation the ASF DOFs cannot express, dropped: largest {residuals[worst]:.4f} degrees ({worst}); "
                 + json.dumps({k: round(v, 4) for k, v in sorted(residuals.items())}))
    return np.concatenate(out, axis=1)


def is_rest_frame(bvh: Bvh) -> bool:
    """The CMU BVH conversion's first frame: a reference pose (whole-degree rotations, the root where frame 2 is)."""
    if len(bvh.motion) < 3:
        return False
    rotations = [bvh.channel_index(j) + k for j, chans in enumerate(bvh.channels) for k, c in enumerate(chans)
                 if c.endswith("rotation")]
    first = bvh.motion[0, rotations]
    root = 0
    positions = [bvh.channel_index(root) + k for k, c in enumerate(bvh.channels[root]) if c.endswith("position")]
    return bool(np.all(first == np.round(first)) and np.allclose(bvh.motion[0, positions], bvh.motion[1, positions], atol=1e-3))


def write_canonical_asf(path, skeleton: Skeleton, axes: dict) -> None:
    """An ASF read_asf reads as `skeleton` in 0.45 units, degrees, CMU DOF order (what the canonical AMC needs)."""
    scale = CMU_LENGTH_UNIT / skeleton.length_unit
    dofs = dict(CMU_BONE_DOFS)
    title = re.sub(r"\s+", "_", str(skeleton.path.name))
    lines = [":version 1.10", f":name {title}", ":units", "  mass 1.0",
             f"  length {CMU_LENGTH_UNIT}", "  angle deg", ":root", "   order TX TY TZ RX RY RZ", "   axis XYZ",
             "   position 0 0 0", "   orientation 0 0 0", ":bonedata"]
    for k, name in enumerate(CMU_PARENTS, start=1):
        bone = skeleton.bones[name]
        lines += ["  begin", f"     id {k}", f"     name {name}",
                  "     direction " + " ".join(repr(float(v)) for v in bone.direction),
                  f"     length {float(bone.length) * scale!r}",
                  "     axis " + " ".join(repr(float(v)) for v in axes[name]) + " XYZ"]
        if dofs.get(name):
            lines.append("    dof " + " ".join(dofs[name]))
        lines.append("  end")
    children: dict[str, list[str]] = {}
    for name, parent in CMU_PARENTS.items():
        children.setdefault(parent, []).append(name)
    lines += [":hierarchy", "  begin"] + [f"    {p} {' '.join(c)}" for p, c in children.items()] + ["  end"]
    Path(path).write_text("\n".join(lines) + "\n", encoding="ascii")


def resample(values: np.ndarray, frame_time: float) -> np.ndarray:
    """Canonical AMC values at `frame_time` -> at parse_amc's 120 fps (linear in the unwrapped values)."""
    from envsuite.mocap.asf import unwrap_degrees

    values, _ = unwrap_degrees(values)
    times = np.arange(len(values)) * frame_time
    new = np.arange(0.0, times[-1] + 1e-9, MOCAP_DT)
    return np.stack([np.interp(new, times, column) for column in values.T], axis=1)


def bvh_to_values(bvh_path, asf=None, rest_frame: str = "auto", dropped: dict[str, float] | None = None):
    """(values (frames, 62) at 120 fps, the skeleton, its axes, notes) of a BVH take; see bvh_to_clip.

    dropped: filled as bvh_to_amc_values fills it."""
    bvh = read_bvh(bvh_path)
    notes = list(bvh.notes)
    naming, bones = match_cmu_joints(bvh)
    notes.append(f"joints named as in the {naming}")
    if asf is None:
        skeleton = skeleton_from_bvh(bvh, bones)
        axes = dict(CMU_AXES)
        notes.append("skeleton: lengths and directions from the BVH's offsets, axes the CMU subjects' (no ASF given)")
    else:
        skeleton = read_asf(asf)
        axes = read_asf_axes(asf)
    if rest_frame not in ("auto", "keep", "drop"):
        raise ValueError(f"rest_frame must be 'auto', 'keep' or 'drop', got {rest_frame!r}")
    if rest_frame == "drop" or (rest_frame == "auto" and is_rest_frame(bvh)):
        bvh.motion = bvh.motion[1:]
        notes.append("frame 1 is the conversion's reference pose (whole-degree rotations, the root at frame 2's "
                     "place): left out")
    skeleton.axes = axes  # type: ignore[attr-defined]
    values = bvh_to_amc_values(bvh, skeleton, notes, dropped)
    if abs(bvh.frame_time - MOCAP_DT) > 1e-3 * MOCAP_DT * 10:
        notes.append(f"frame time {bvh.frame_time:g} s resampled to 1/120 s")
        values = resample(values, bvh.frame_time)
    return values, skeleton, axes, notes


HAND_BONES = frozenset({"lhand", "rhand", "lfingers", "rfingers", "lthumb", "rthumb"})


def dropped_rotation_summary(dropped: dict[str, float]) -> dict[str, float]:
    """The quality report's two figures of what retargeting lost (degrees): dropped_rotation_deg over the
    body's bones, dropped_hand_rotation_deg over hands, fingers and thumbs (the AMC path's are 0: an
    AMC's DOFs are its bones')."""
    return {"dropped_rotation_deg": max((v for k, v in dropped.items() if k not in HAND_BONES), default=0.0),
            "dropped_hand_rotation_deg": max((v for k, v in dropped.items() if k in HAND_BONES), default=0.0)}


def bvh_to_qpos(bvh_path, asf=None, root_scale="skeleton", ground: str = "auto", dt: float | None = None,
                rest_frame: str = "auto"):
    """convert.amc_to_qpos for a BVH take: (qpos (T, 63), the clip attributes, (physics, walker)).

    What the MoCap library stores of a BVH-only take (tools/build_mocap_library.py); bvh_to_clip makes
    the clip from it as amc_to_clip does from amc_to_qpos.
    """
    from envsuite.mocap.asf import write_canonical_amc
    from envsuite.mocap.convert import DEFAULT_DT, ClipConversionError, amc_to_qpos

    bvh_path = Path(bvh_path)
    if not bvh_path.is_file():
        raise FileNotFoundError(f"no BVH file at {bvh_path}")
    try:
        dropped: dict[str, float] = {}
        values, skeleton, axes, notes = bvh_to_values(bvh_path, asf=asf, rest_frame=rest_frame, dropped=dropped)
    except SkeletonError as error:
        raise ClipConversionError(str(error)) from None
    stem = bvh_path.name.split(".")[0]
    with tempfile.TemporaryDirectory(prefix="envsuite-bvh-") as folder:
        asf_path, amc_path = Path(folder) / f"{stem}.asf", Path(folder) / f"{stem}.amc"
        write_canonical_asf(asf_path, skeleton, axes)
        write_canonical_amc(amc_path, values)
        qpos, attrs, physics_and_walker = amc_to_qpos(amc_path, dt=DEFAULT_DT if dt is None else dt, asf=asf_path,
                                                      root_scale=root_scale, ground=ground)
    report = json.loads(attrs["quality_report"])
    report.update(dropped_rotation_summary(dropped))
    attrs["quality_report"] = np.bytes_(json.dumps(report, sort_keys=True).encode())
    attrs.update({f"quality_{key}": np.float64(value) for key, value in report.items()})
    attrs["source"] = np.bytes_(bvh_path.name.encode())
    attrs["skeleton"] = np.bytes_((Path(asf).name if asf is not None else "from the BVH").encode())
    attrs["converter"] = np.bytes_(b"envsuite.mocap.bvh.bvh_to_clip -> envsuite.mocap.convert.amc_to_clip")
    attrs["conversion_notes"] = np.bytes_(json.dumps(notes + json.loads(attrs["conversion_notes"])).encode())
    return qpos, attrs, physics_and_walker


def bvh_to_clip(bvh_path, asf=None, root_scale="skeleton", ground: str = "auto", name: str | None = None,
                dt: float | None = None, rest_frame: str = "auto"):
    """Convert one CMU BVH take into a V2020 clip through convert.amc_to_qpos (one retargeting path).

    asf: the subject's ASF (its axes, directions and lengths); None: the BVH's own skeleton with the
    CMU axes. rest_frame: "auto" leaves out the CMU conversion's reference-pose first frame, "keep",
    "drop". The other options are amc_to_clip's; the clip's conversion_notes add the BVH's.
    """
    from envsuite.mocap.convert import DEFAULT_DT, clip_from_qpos

    dt = DEFAULT_DT if dt is None else dt
    qpos, attrs, physics_and_walker = bvh_to_qpos(bvh_path, asf=asf, root_scale=root_scale, ground=ground, dt=dt,
                                                  rest_frame=rest_frame)
    return clip_from_qpos(qpos, dt, name or Path(bvh_path).name.split(".")[0], attrs, where=str(bvh_path),
                          physics_and_walker=physics_and_walker)
