"""The shipped MoCap library: real CMU takes as compact V2020 poses, their clips derived on first use.

Where it sits: the MoCap family's clip source (envsuite/mocap/), between the converter (convert.py,
which made it with tools/build_mocap_library.py from ../shared/data/mocap/cmu) and the tracking env
(tracking.py, `clips=`) and the CLI (`envsuite-datagen mocap-clips`).

What is stored (assets/mocap/library.h5) is what cannot be recomputed: per clip the V2020 qpos at the
clip rate (float64, as the converter made it; stored as `qpos_by_coordinate`, shape (63, steps), because
HDF5's shuffle filter then puts each coordinate's bytes of all frames side by side, which deflates to
42.3 MiB where (steps, 63) took 46.1 MiB: the wheel must stay under 60 MB), and the clip attributes the converter wrote (source
take, skeleton, root scale, ground mode, quality report, notes) and the subject. Each take's CMU
description and category are a separate table, assets/mocap/takes.tsv, so that they can be corrected
without rebuilding the poses. The eleven dm_control pose arrays are derived from qpos by
`convert.clip_from_qpos`, the function the converter itself ends with, so a derived clip equals a
direct conversion of its take array for array (tests). Derived clips are cached on disk, one file per
clip, under $ENVSUITE_CACHE_DIR (default ~/.cache/envsuite)/mocap-library-<hash of the library file>,
written atomically, so a second process or session reads them instead of deriving.

Snippets: every clip split as envsuite's snippets.split_clip splits (4 s windows overlapping 1 s).

Subsets: `all`; each category (walk, run, jump, acrobatics, dance, ...); `walk_tiny` (the three
first walk clips, a smoke-test size as dm_control's walk_tiny); `locomotion_small` (every walk and
run clip).
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from envsuite.mocap.snippets import split_clip

LIBRARY_ASSET = ("mocap", "library.h5")
TAKES_ASSET = ("mocap", "takes.tsv")
LIBRARY_FORMAT = "envsuite-mocap-library"
LIBRARY_VERSION = 2  # 2: qpos stored transposed (qpos_by_coordinate)
QPOS_DATASET = "qpos_by_coordinate"  # (nq, steps): the transpose of the clip's qpos
LOCOMOTION_CATEGORIES = ("walk", "run")
NAMED_SUBSETS = ("all", "walk_tiny", "locomotion_small")

# A take is shipped only if its quality report stays within these (tools/build_mocap_library.py
# applies them and lists each take left out with the figure that failed). Why each bound:
QUALITY_THRESHOLDS = {
    # 12 m/s is above the fastest human sprint (about 12.4 m/s peak is the world record; CMU's runs
    # peak at 6 m/s): a faster root is a capture glitch (a marker swap teleports the root).
    "peak_root_speed": 12.0,
    # The converter grounds every take; a body below the floor by more than 1 cm is a grounding failure.
    "floor_penetration": 0.01,
    # More than one dropped frame means a damaged file, not a cut last frame.
    "dropped_frames": 1.0,
    # A foot that slides at over 2 m/s while it touches the floor is not a contact but a tracking error
    # of the capture (CMU's obstacle-course runs reach 1.5 m/s on the two-frame contact windows of a run).
    "foot_skating": 2.0,
    # A BVH take's body bone whose rotation the ASF DOFs cannot hold by more than 1 degree misplaces its
    # children; the widespread CMU conversion loses at most 0.0001 degrees (rounding). The hands and
    # thumbs (dropped_hand_rotation_deg, up to 84 degrees on the thumbs of the 3dsMax-named 131_01-03)
    # have no bound: the walker's hand and thumb have one and two hinges, and CMU's own hand channels are
    # its noisiest (rthumbrz spans 885 degrees in 01_02); those figures are in the report.
    "dropped_rotation_deg": 1.0,
}


class LibraryError(ValueError):
    """A subset or clip id the library does not have, or a library file that is not one."""


@dataclass(frozen=True)
class ClipRecord:
    """One clip of the library, as `library()` lists it."""

    id: str
    subject: str
    take: str
    category: str
    description: str
    duration_s: float
    num_steps: int
    snippets: tuple[str, ...]
    quality: dict
    root_scale: float
    source: str

    def as_dict(self) -> dict:
        return {"id": self.id, "subject": self.subject, "take": self.take, "category": self.category,
                "description": self.description, "duration_s": self.duration_s, "num_steps": self.num_steps,
                "snippets": list(self.snippets), "quality": self.quality, "root_scale": self.root_scale,
                "source": self.source}


def library_file() -> Path:
    from envsuite import paths

    return paths.asset_path(*LIBRARY_ASSET)


def clip_id(take: str) -> str:
    """dm_control's naming: CMU take 07_01-walk -> CMU_007_01; 105_normalwalk -> CMU_105_normalwalk."""
    subject, _, trial = take.partition("_")
    return f"CMU_{int(subject):03d}_{trial.split('-')[0]}"


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _open(path=None) -> h5py.File:
    path = Path(path) if path is not None else library_file()
    handle = h5py.File(path, "r")
    if _text(handle.attrs.get("format", b"")) != LIBRARY_FORMAT:
        handle.close()
        raise LibraryError(f"{path} is not an envsuite MoCap library (format attribute {LIBRARY_FORMAT!r} missing)")
    if int(handle.attrs.get("version", 0)) != LIBRARY_VERSION:
        version = handle.attrs.get("version")
        handle.close()
        raise LibraryError(f"{path} is a version {version} MoCap library; this envsuite reads version "
                           f"{LIBRARY_VERSION}: rebuild it with python tools/build_mocap_library.py")
    return handle


def takes_table() -> dict[str, dict]:
    """assets/mocap/takes.tsv: CMU take -> its subject, formats, description, category and the description's source."""
    from envsuite import paths

    with open(paths.asset_path(*TAKES_ASSET), encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        return {row["take"]: row for row in (dict(zip(header, line.rstrip("\n").split("\t"))) for line in handle)}


def _records(path=None) -> list[ClipRecord]:
    path = Path(path) if path is not None else library_file()
    stat = path.stat()
    return list(_records_of(str(path.resolve()), stat.st_size, stat.st_mtime_ns))


@functools.lru_cache(maxsize=4)
def _records_of(path: str, size: int, mtime_ns: int) -> tuple[ClipRecord, ...]:
    """The records of a library file, read once per process per file version (size and mtime in the key)."""
    table = takes_table()
    with _open(path) as handle:
        dt = float(handle.attrs["dt"])
        records = []
        for name in sorted(handle["clips"]):
            group = handle["clips"][name]
            steps = int(group[QPOS_DATASET].shape[1])
            attrs = group.attrs
            quality = json.loads(_text(attrs["quality_report"]))
            take = _text(attrs["take"])
            if take not in table:
                raise LibraryError(f"{'/'.join(TAKES_ASSET)} has no row for take {take} of the library: add its "
                                   "description and category")
            records.append(ClipRecord(
                id=name, subject=_text(attrs["subject"]), take=take, category=table[take]["category"],
                description=table[take]["description"], duration_s=round(steps * dt, 3), num_steps=steps,
                snippets=tuple(s.id for s in split_clip(name, steps)), quality=quality,
                root_scale=float(attrs["root_scale"]), source=_text(attrs["source_path"])))
    return tuple(records)


def subsets(path=None) -> dict[str, list[str]]:
    """Every subset name and its clip ids: the named subsets and one per category."""
    records = _records(path)
    walks = [r.id for r in records if r.category == "walk"]
    named = {"all": [r.id for r in records], "walk_tiny": walks[:3],
             "locomotion_small": [r.id for r in records if r.category in LOCOMOTION_CATEGORIES]}
    for category in sorted({r.category for r in records}):
        named.setdefault(category, [r.id for r in records if r.category == category])
    return named


def library(subset: str | None = None, path=None) -> list[ClipRecord]:
    """The clip records of `subset` (None: every clip): id, subject, category, duration, snippets, quality."""
    records = _records(path)
    if subset is None:
        return records
    wanted = set(resolve(subset, path))
    return [r for r in records if r.id in wanted]


def resolve(clips, path=None) -> list[str]:
    """Clip ids of a subset name, or of a list of clip ids (checked); LibraryError with the choices otherwise."""
    named = subsets(path)
    if isinstance(clips, str):
        if clips in named:
            return list(named[clips])
        if clips in named["all"]:
            return [clips]
        raise LibraryError(f"{clips!r} is neither a subset of the MoCap library ({', '.join(named)}) nor one of "
                           f"its clip ids (e.g. {named['all'][0]}); `envsuite-datagen mocap-clips` lists them")
    ids = list(clips)
    unknown = [c for c in ids if c not in named["all"]]
    if unknown or not ids:
        raise LibraryError(f"clip ids {unknown or ids} are not in the MoCap library; `envsuite-datagen mocap-clips` lists them")
    return ids


def cache_dir(path=None) -> Path:
    """Where derived clips are kept: $ENVSUITE_CACHE_DIR or ~/.cache/envsuite, per library file content."""
    path = Path(path) if path is not None else library_file()
    stat = path.stat()
    root = Path(os.environ.get("ENVSUITE_CACHE_DIR") or Path.home() / ".cache" / "envsuite")
    return root / f"mocap-library-{_content_digest(str(path.resolve()), stat.st_size, stat.st_mtime_ns)[:16]}"


@functools.lru_cache(maxsize=4)
def _content_digest(path: str, size: int, mtime_ns: int) -> str:
    """sha256 of the library file, computed once per process per file version."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def derive_clip(name: str, path=None):
    """The dm_control-format Clip of library clip `name`, derived from its stored qpos (no cache)."""
    from envsuite.mocap.convert import clip_from_qpos

    with _open(path) as handle:
        if name not in handle["clips"]:
            raise LibraryError(f"the MoCap library has no clip {name!r}")
        group = handle["clips"][name]
        qpos = np.ascontiguousarray(group[QPOS_DATASET][()].T)
        attrs = _clip_attrs(group)
        dt = float(handle.attrs["dt"])
    return clip_from_qpos(qpos, dt, name, attrs, where=f"MoCap library clip {name}")


def _clip_attrs(group) -> dict:
    return {key: group.attrs[key] for key in group.attrs if key not in ("subject", "take", "source_path")}


def clip_paths(clips="all", path=None, progress: bool = True) -> list[Path]:
    """Paths of the cached pose arrays of `clips` (a subset name or clip ids), deriving the missing ones.

    A cached clip is `<id>.npy`: its eleven pose arrays stacked in POSE_FIELDS order, (rows, T) float64,
    with the rows per field in the folder's layout.json (np.load reads it in microseconds; 260 HDF5
    clip files took over a second).
    """
    from tqdm import tqdm

    from envsuite.mocap.clips import POSE_FIELDS

    ids = resolve(clips, path)
    folder = cache_dir(path)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.npy" for name in ids]
    missing = [(name, target) for name, target in zip(ids, paths) if not target.is_file()]
    for name, target in tqdm(missing, desc="deriving MoCap library clips (once)", unit="clip",
                             disable=not progress or not missing):
        clip = derive_clip(name, path)
        layout = {field: int(clip.poses[field].shape[0]) for field in POSE_FIELDS}
        if not (folder / "layout.json").is_file():
            _write_atomically(folder / "layout.json", lambda f: f.write(json.dumps(layout).encode()))
        _write_atomically(target, lambda f: np.save(f, np.concatenate([clip.poses[field] for field in POSE_FIELDS])))
    return paths


def _write_atomically(target: Path, write) -> None:
    """Write through a private temporary file in the same folder, then rename (no half file at `target`)."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def load_clips(clips="all", path=None, progress: bool = True, with_attrs: bool = True) -> dict:
    """{clip id: Clip} of a subset or of clip ids, from the cache (derived once). with_attrs=False leaves out
    the clip attributes (source, quality report, ...), which the tracking env does not need."""
    from envsuite.mocap.clips import Clip

    files = clip_paths(clips, path, progress)
    layout = json.loads((files[0].parent / "layout.json").read_text())
    loaded = {}
    with _open(path) as handle:
        dt = float(handle.attrs["dt"])
        for file in files:
            name = file.name[: -len(".npy")]
            stacked = np.load(file)
            poses, row = {}, 0
            for field, rows in layout.items():
                poses[field] = stacked[row: row + rows]
                row += rows
            attrs = _clip_attrs(handle["clips"][name]) if with_attrs else {}
            loaded[name] = Clip(name=name, dt=dt, poses=poses, walker_attrs={"name": np.bytes_(b"humanoid_CMU_V2020")},
                                attrs=attrs)
    return loaded


def export(clips, to, path=None, overwrite: bool = False) -> Path:
    """Write one dm_control-format clip file of a subset (or clip ids), as dm_control's cmu_2020 files are."""
    from envsuite.mocap.clips import write_clips

    loaded = load_clips(clips, path, progress=True)
    return write_clips(to, [loaded[name] for name in resolve(clips, path)], overwrite=overwrite)


def composition(clips=None, path=None) -> list[dict]:
    """Per category: clips, snippets and minutes, of the whole library (the README's table) or of `clips`
    (a subset name or clip ids; a dataset card's table of the clips its episodes tracked)."""
    chosen = None if clips is None else set(resolve(clips, path))
    rows = {}
    for record in _records(path):
        if chosen is not None and record.id not in chosen:
            continue
        row = rows.setdefault(record.category, {"category": record.category, "clips": 0, "snippets": 0, "minutes": 0.0})
        row["clips"] += 1
        row["snippets"] += len(record.snippets)
        row["minutes"] += record.duration_s / 60
    return [dict(row, minutes=round(row["minutes"], 2)) for row in sorted(rows.values(), key=lambda r: -r["minutes"])]


__all__ = ["ClipRecord", "LibraryError", "QUALITY_THRESHOLDS", "clip_id", "clip_paths", "composition", "derive_clip",
           "export", "library", "load_clips", "resolve", "subsets"]
