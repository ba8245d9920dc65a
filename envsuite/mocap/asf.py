"""ASF skeletons and AMC motions of the CMU capture, read as real files vary, and checked against
the CMU layout that dm_control's humanoid expects.

Where it sits: the MoCap family's importer (envsuite/mocap/), under convert.py. dm_control's
`parse_amc` never reads the ASF: it concatenates each AMC frame's numbers in file order and takes
them to be the 62 values of `_CMU_MOCAP_JOINT_ORDER` in degrees, at 0.45 length units per inch.
A take of another skeleton, with its bones in another order, its DOFs in another order, angles in
radians or another length unit would quietly become a different motion. So this module:

- reads the ASF (`read_asf`): units, root order, bones (name, direction, length, axis order, DOFs,
  limits), case-insensitive keywords, any spacing, '#' comments, gzip (`.asf.gz`), any encoding
  (UTF-8, else Windows-1252: a stray byte in a comment never makes a take unreadable);
- checks it against the CMU layout (`check_cmu_skeleton`): every bone the humanoid needs, with the
  DOFs it needs, and no bone whose motion would be dropped; otherwise a SkeletonError that says
  "skeleton" and names the bones;
- reads the AMC by bone name (`read_amc`), so bone lines in any order and DOFs in the ASF's order are
  put in parse_amc's order, radians become degrees and lengths become 0.45-units;
- unwraps every angle over time (`unwrap_degrees`: a jump of more than 180 degrees between frames
  is a wrap of the Euler angle, not a motion; a real take jumps 171 -> -189);
- writes the result as a canonical AMC (`write_canonical_amc`) for parse_amc to convert.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# dm_control.suite.utils.parse_amc._CMU_MOCAP_JOINT_ORDER, grouped by bone: the values, in order, that
# parse_amc takes each AMC frame to hold after the root's six (copied as data: the layout is the contract)
CMU_BONE_DOFS = (
    ("lowerback", ("rx", "ry", "rz")), ("upperback", ("rx", "ry", "rz")), ("thorax", ("rx", "ry", "rz")),
    ("lowerneck", ("rx", "ry", "rz")), ("upperneck", ("rx", "ry", "rz")), ("head", ("rx", "ry", "rz")),
    ("rclavicle", ("ry", "rz")), ("rhumerus", ("rx", "ry", "rz")), ("rradius", ("rx",)), ("rwrist", ("ry",)),
    ("rhand", ("rx", "rz")), ("rfingers", ("rx",)), ("rthumb", ("rx", "rz")),
    ("lclavicle", ("ry", "rz")), ("lhumerus", ("rx", "ry", "rz")), ("lradius", ("rx",)), ("lwrist", ("ry",)),
    ("lhand", ("rx", "rz")), ("lfingers", ("rx",)), ("lthumb", ("rx", "rz")),
    ("rfemur", ("rx", "ry", "rz")), ("rtibia", ("rx",)), ("rfoot", ("rx", "rz")), ("rtoes", ("rx",)),
    ("lfemur", ("rx", "ry", "rz")), ("ltibia", ("rx",)), ("lfoot", ("rx", "rz")), ("ltoes", ("rx",)),
)
ROOT_ORDER = ("tx", "ty", "tz", "rx", "ry", "rz")
CMU_LENGTH_UNIT = 0.45  # what parse_amc's 0.056444 m per unit assumes (0.0254 m per inch / 0.45)
METERS_PER_INCH = 0.0254


class SkeletonError(ValueError):
    """An ASF/AMC pair is not the CMU skeleton the humanoid expects, or cannot be read as one."""


@dataclass
class Bone:
    name: str
    length: float = 0.0
    direction: tuple[float, float, float] = (0.0, 0.0, 0.0)
    axis_order: str = "XYZ"
    dofs: tuple[str, ...] = ()
    limits: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Skeleton:
    path: Path
    length_unit: float  # ':units length': file lengths are inches x this
    angle_unit: str  # "deg" or "rad"
    root_order: tuple[str, ...]
    bones: dict[str, Bone]  # by lower-case name

    def meters(self, length: float) -> float:
        return float(length) * METERS_PER_INCH / self.length_unit

    def leg_length_m(self) -> float:
        """Mean of the two legs' femur + tibia lengths, in meters (what root travel scales with)."""
        legs = [self.bones[f"{side}femur"].length + self.bones[f"{side}tibia"].length for side in "lr"]
        return self.meters(float(np.mean(legs)))


def read_text(path) -> str:
    """A text file's content, gzip or not, UTF-8 (a BOM dropped) else Windows-1252; newlines normalised."""
    path = Path(path)
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise SkeletonError(f"{path} is a damaged gzip file ({error})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _lines(text: str) -> list[str]:
    """Lines without '#' comments and surrounding space; blank lines dropped."""
    out = []
    for line in text.split("\n"):
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


def read_asf(path) -> Skeleton:
    """Parse an ASF skeleton file (see the module docstring for what varies)."""
    path = Path(path)
    section, units, root_order, bones, bone = None, {}, ROOT_ORDER, {}, None
    for line in _lines(read_text(path)):
        tokens = line.split()
        head = tokens[0].lower()
        if head.startswith(":"):
            section = head
            if section == ":hierarchy":
                break
            continue
        if section == ":units" and len(tokens) >= 2:
            units[head] = tokens[1].lower()
        elif section == ":root" and head == "order":
            root_order = tuple(t.lower() for t in tokens[1:])
        elif section == ":bonedata":
            if head == "begin":
                bone = Bone(name="")
            elif head == "end" and bone is not None:
                if not bone.name:
                    raise SkeletonError(f"{path}: a bone of the skeleton has no name")
                bones[bone.name.lower()] = bone
                bone = None
            elif bone is not None:
                if head == "name":
                    bone.name = tokens[1]
                elif head == "length":
                    bone.length = _number(tokens[1], path, line)
                elif head == "direction":
                    bone.direction = tuple(_number(t, path, line) for t in tokens[1:4])
                elif head == "axis":
                    bone.axis_order = tokens[-1].upper() if not is_number(tokens[-1]) else "XYZ"
                elif head == "dof":
                    bone.dofs = tuple(t.lower() for t in tokens[1:])
                elif head == "limits" or line.startswith("("):
                    numbers = [float(n) for n in re.findall(r"[-+]?(?:inf|\d*\.?\d+(?:e[-+]?\d+)?)", line, re.I)]
                    if len(numbers) >= 2:
                        bone.limits.append((numbers[0], numbers[1]))
    if not bones:
        raise SkeletonError(f"{path} holds no :bonedata: it is not an ASF skeleton file")
    angle = units.get("angle", "deg")
    if angle not in ("deg", "rad"):
        raise SkeletonError(f"{path}: ':units angle {angle}' is neither deg nor rad")
    length_unit = float(units.get("length", CMU_LENGTH_UNIT))
    if not length_unit > 0:
        raise SkeletonError(f"{path}: ':units length {length_unit}' must be positive")
    if sorted(root_order) != sorted(ROOT_ORDER):
        raise SkeletonError(f"{path}: root order {' '.join(root_order)} is not the six TX TY TZ RX RY RZ of a CMU root")
    return Skeleton(path, length_unit, angle, root_order, bones)


def is_number(token: str) -> bool:
    """Whether float() reads `token` (AMC and BVH value fields)."""
    try:
        float(token)
    except ValueError:
        return False
    return True


def _number(token: str, path, line: str) -> float:
    try:
        return float(token)
    except ValueError:
        raise SkeletonError(f"{path}: {token!r} in {line!r} is not a number") from None


def check_cmu_skeleton(skeleton: Skeleton) -> None:
    """SkeletonError unless the skeleton has the CMU layout the humanoid's 56 hinges come from."""
    problems = []
    for name, dofs in CMU_BONE_DOFS:
        bone = skeleton.bones.get(name)
        if bone is None:
            problems.append(f"no bone {name}")
        elif sorted(bone.dofs) != sorted(dofs):
            problems.append(f"bone {name} has DOFs {' '.join(bone.dofs) or 'none'}, the CMU skeleton's are {' '.join(dofs)}")
        elif bone.axis_order != "XYZ":
            problems.append(f"bone {name} has Euler order {bone.axis_order}, the CMU skeleton's is XYZ")
    known = {name for name, _ in CMU_BONE_DOFS}
    dropped = sorted(name for name, bone in skeleton.bones.items() if bone.dofs and name not in known)
    if dropped:
        problems.append(f"bones with motion the humanoid has no joint for: {', '.join(dropped)}")
    if problems:
        raise SkeletonError(
            f"{skeleton.path}: not the CMU skeleton humanoid_CMU_V2020 expects ({'; '.join(problems[:6])}"
            f"{'; ...' if len(problems) > 6 else ''}); convert takes of the CMU database's skeleton only")


def read_amc(path, skeleton: Skeleton, notes: list[str] | None = None) -> np.ndarray:
    """(frames, 62) values of an AMC motion in parse_amc's order, degrees and CMU length units.

    Bones are found by name (any case, any line order); each bone's values are in its ASF DOF order
    and are put in the CMU order. A frame lacking a bone, a bone the skeleton does not know, or a
    wrong number of values is a SkeletonError naming the frame, except that an incomplete *last*
    frame (a file cut while it was written: CMU's 07_12 ends in half a frame) is left out and said
    so in `notes`.
    """
    path = Path(path)
    frames: list[dict[str, list[float]]] = []
    for line in _lines(read_text(path)):
        if line.startswith(":"):
            continue
        tokens = line.split()
        if len(tokens) == 1 and tokens[0].isdigit():
            frames.append({})
            continue
        if not frames:
            continue  # header lines before frame 1
        name = tokens[0].lower()
        expected = skeleton.root_order if name == "root" else skeleton.bones.get(name, Bone(name)).dofs
        if name != "root" and name not in skeleton.bones:
            raise SkeletonError(f"{path} frame {len(frames)}: bone {tokens[0]!r} is not in the skeleton {skeleton.path.name}")
        try:
            values = [float(t) for t in tokens[1:]]
        except ValueError:
            raise SkeletonError(f"{path} frame {len(frames)}: {line!r} holds a value that is not a number") from None
        if len(values) != len(expected):
            raise SkeletonError(f"{path} frame {len(frames)}: {tokens[0]} has {len(values)} values, its DOFs in the "
                                f"skeleton are {' '.join(expected) or 'none'}: the AMC is not of this skeleton")
        frames[-1][name] = values
    if not frames:
        raise SkeletonError(f"{path} holds no frames: it is not an AMC motion file")
    to_degrees = np.rad2deg if skeleton.angle_unit == "rad" else (lambda x: x)
    length = CMU_LENGTH_UNIT / skeleton.length_unit  # file units -> parse_amc's units
    rows = np.empty((len(frames), 6 + sum(len(d) for _, d in CMU_BONE_DOFS)))
    needed = ["root"] + [name for name, _ in CMU_BONE_DOFS]
    if len(frames) > 1 and any(name not in frames[-1] for name in needed):
        missing = [name for name in needed if name not in frames[-1]]
        if notes is not None:
            notes.append(f"the last frame ({len(frames)}) lacks {', '.join(missing)} (the file was cut): left out")
            frames = frames[:-1]
            rows = rows[:-1]
    for f, frame in enumerate(frames):
        missing = [name for name in needed if name not in frame]
        if missing:
            raise SkeletonError(f"{path} frame {f + 1} lacks the bone(s) {', '.join(missing)}")
        root = dict(zip(skeleton.root_order, frame["root"]))
        row = [root["tx"] * length, root["ty"] * length, root["tz"] * length]
        row += [float(to_degrees(root[k])) for k in ("rx", "ry", "rz")]
        for name, dofs in CMU_BONE_DOFS:
            by_dof = dict(zip(skeleton.bones[name].dofs, frame[name]))
            row += [float(to_degrees(by_dof[d])) for d in dofs]
        rows[f] = row
    return rows


def unwrap_degrees(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Every angle column (all but the root position's 3) unwrapped over time; and how many wraps were removed.

    A jump of more than 180 degrees between frames is taken as a wrap: whole turns are added from
    there on. Frames before any wrap keep their exact values (the conversion of a take without
    wraps is bit-identical to parse_amc's).
    """
    jumps = np.diff(values[:, 3:], axis=0)
    turns = np.where(np.abs(jumps) > 180.0, np.round(jumps / 360.0), 0.0)
    unwrapped = values.copy()
    unwrapped[1:, 3:] -= 360.0 * np.cumsum(turns, axis=0)
    return unwrapped, int(np.count_nonzero(turns))


def write_canonical_amc(path, values: np.ndarray) -> None:
    """An AMC file parse_amc reads as exactly `values` (its bone order, degrees, repr-exact numbers)."""
    names = [("root", 6)] + [(name, len(dofs)) for name, dofs in CMU_BONE_DOFS]
    with open(path, "w", encoding="ascii") as out:
        out.write(":FULLY-SPECIFIED\n:DEGREES\n")
        for f, row in enumerate(values, start=1):
            out.write(f"{f}\n")
            k = 0
            for name, count in names:
                out.write(name + " " + " ".join(repr(float(v)) for v in row[k:k + count]) + "\n")
                k += count
