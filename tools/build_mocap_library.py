"""Build the shipped MoCap library (assets/mocap/library.h5) from ../shared/data/mocap/cmu.

Where it sits: a maintenance script (not part of the package): it runs envsuite.mocap.convert on
every shared ASF/AMC take, and envsuite.mocap.bvh on every shared BVH take that has no AMC (with its
subject's ASF where the shared folder has one, else the BVH's own skeleton); a take in both formats
is converted from its AMC, the capture's own format (tests/mocap/test_bvh.py checks that both agree).
It writes one row per take to docs/mocap_takes_report.tsv: its format, the converted
steps and seconds, the root scale, the quality report (convert.quality_report), the conversion
notes, the error that refused it, or the quality threshold (library.QUALITY_THRESHOLDS) that left it
out. The takes within the thresholds go into the library with their V2020 qpos and clip attributes
(envsuite/mocap/library.py; their descriptions and categories are a separate asset, assets/mocap/takes.tsv).

    .venv/bin/python tools/build_mocap_library.py [--workers 2] [--limit N] [--library assets/mocap/library.h5]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CMU = REPO_ROOT.parent / "shared" / "data" / "mocap" / "cmu"
TAKES = CMU / "asf_amc"
BVH_TAKES = CMU / "bvh"
FIELDS = ("take", "subject", "format", "status", "steps", "seconds", "root_scale", "joint_range_violation_fraction",
          "joint_range_max_excess_deg", "peak_joint_speed", "peak_root_speed", "foot_skating", "floor_penetration",
          "flight_fraction", "angle_wraps", "dropped_frames", "dropped_rotation_deg", "dropped_hand_rotation_deg",
          "convert_s", "notes_or_error")


def shared_takes() -> list[Path]:
    """Every ASF/AMC take, then every BVH take whose take number has no AMC (07_01-walk.amc covers 07_01.bvh)."""
    amcs = sorted(TAKES.glob("*/*.amc.gz"))
    numbers = {amc.name.split(".")[0].split("-")[0] for amc in amcs}
    return amcs + [bvh for bvh in sorted(BVH_TAKES.glob("*/*.bvh.gz")) if bvh.name.split(".")[0] not in numbers]


def convert_one(path: Path):
    from envsuite.mocap.bvh import bvh_to_qpos
    from envsuite.mocap.convert import DEFAULT_DT, ClipConversionError, amc_to_qpos
    from envsuite.mocap.library import QUALITY_THRESHOLDS

    begin = time.perf_counter()
    fmt = "bvh" if path.name.endswith(".bvh.gz") else "amc"
    row = {"take": path.name.split(".")[0], "subject": path.parent.name, "format": fmt,
           "source_path": f"mocap/cmu/{path.parent.parent.name}/{path.parent.name}/{path.name}"}
    try:
        if fmt == "amc":
            qpos, attrs, _ = amc_to_qpos(path)
        else:
            asf = TAKES / path.parent.name / f"{path.parent.name}.asf.gz"
            qpos, attrs, _ = bvh_to_qpos(path, asf=asf if asf.is_file() else None)
    except (ClipConversionError, ValueError, FileNotFoundError) as error:
        row.update(status="refused", notes_or_error=str(error).replace("\t", " ").replace("\n", " "))
        return row, None
    report = json.loads(attrs["quality_report"])
    failed = [f"{key} {report[key]:.4g} > {bound}" for key, bound in QUALITY_THRESHOLDS.items() if report[key] > bound]
    notes = json.loads(attrs["conversion_notes"])
    row.update(status="left out: " + ", ".join(failed) if failed else "shipped", steps=len(qpos),
               seconds=round(len(qpos) * DEFAULT_DT, 2), root_scale=round(float(attrs["root_scale"]), 4),
               notes_or_error="; ".join(notes))
    row.update({key: round(value, 4) for key, value in report.items()})
    row["convert_s"] = round(time.perf_counter() - begin, 1)
    return row, None if failed else (qpos, attrs)


def write_library(path: Path, shipped: list) -> None:
    """The library file: per clip its qpos (float64, transposed, shuffled and deflated) and attributes (library.py)."""
    import h5py
    import numpy as np

    from envsuite.mocap.convert import DEFAULT_DT
    from envsuite.mocap.library import LIBRARY_FORMAT, LIBRARY_VERSION, QPOS_DATASET, clip_id

    temporary = path.with_suffix(".tmp")
    with h5py.File(temporary, "w") as out:
        out.attrs.update(format=LIBRARY_FORMAT, version=LIBRARY_VERSION, dt=DEFAULT_DT,
                         built_by="python tools/build_mocap_library.py")
        clips = out.create_group("clips")
        for row, (qpos, attrs) in shipped:
            group = clips.create_group(clip_id(row["take"]))
            by_coordinate = np.ascontiguousarray(qpos.T)  # why transposed: library.py's docstring
            group.create_dataset(QPOS_DATASET, data=by_coordinate, compression="gzip", compression_opts=9, shuffle=True,
                                 chunks=by_coordinate.shape)
            group.attrs.update(attrs)
            group.attrs.update(subject=row["subject"], take=row["take"],
                               source_path=np.bytes_(row["source_path"].encode()))
    temporary.replace(path)


def main(argv=None) -> int:
    from tqdm import tqdm

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--library", default=str(REPO_ROOT / "assets" / "mocap" / "library.h5"))
    parser.add_argument("--report", default=str(REPO_ROOT / "docs" / "mocap_takes_report.tsv"))
    parser.add_argument("--limit", type=int, default=None, help="only the first N takes (a quick try)")
    args = parser.parse_args(argv)
    if not TAKES.is_dir():
        print(f"{TAKES} is absent: this script converts the shared real takes", file=sys.stderr)
        return 1
    takes = shared_takes()[: args.limit]
    rows, shipped = [], []
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for row, kept in tqdm(pool.imap(convert_one, takes), total=len(takes), unit="take"):
            rows.append(row)
            if kept is not None:
                shipped.append((row, kept))
    report = Path(args.report)
    report.parent.mkdir(parents=True, exist_ok=True)
    with open(report, "w") as out:
        out.write("\t".join(FIELDS) + "\n")
        for row in rows:
            out.write("\t".join(str(row.get(field, "")) for field in FIELDS) + "\n")
    write_library(Path(args.library), shipped)
    minutes = sum(row["seconds"] for row, _ in shipped) / 60
    print(f"{len(shipped)} of {len(rows)} takes shipped ({minutes:.1f} min of motion) in {args.library} "
          f"({Path(args.library).stat().st_size / 2**20:.1f} MiB); report: {report}")
    for row in rows:  # a BVH take's notes always say how it was retargeted: they are in the report only
        if row["status"] != "shipped" or (row["format"] == "amc" and row["notes_or_error"]):
            print(f"  {row['take']}: {row['status']}: {row['notes_or_error']}")
    print(f"  the {sum(row['format'] == 'bvh' for row in rows)} BVH takes' retargeting notes: {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
