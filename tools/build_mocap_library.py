"""Convert every CMU ASF/AMC take of ../shared/data/mocap/cmu/asf_amc and report each one.

Where it sits: a maintenance script (not part of the package): it runs envsuite.mocap.convert on
the shared real takes and writes one row per take: the converted steps and seconds, the root scale,
the quality report (convert.quality_report), the conversion notes, or the error that refused it.
The MoCap library (issue 16) is built from the takes this report shows as converted.

    .venv/bin/python tools/convert_shared_takes.py [--workers 2] [--clips OUT.h5] [--report docs/mocap_takes_report.tsv]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TAKES = REPO_ROOT.parent / "shared" / "data" / "mocap" / "cmu" / "asf_amc"
FIELDS = ("take", "subject", "status", "steps", "seconds", "root_scale", "joint_range_violation_fraction",
          "joint_range_max_excess_deg", "peak_joint_speed", "peak_root_speed", "foot_skating", "floor_penetration",
          "flight_fraction", "angle_wraps", "dropped_frames", "convert_s", "notes_or_error")


def convert_one(amc: Path):
    from envsuite.mocap.convert import ClipConversionError, amc_to_clip

    begin = time.perf_counter()
    row = {"take": amc.name.split(".")[0], "subject": amc.parent.name}
    try:
        clip = amc_to_clip(amc)
    except (ClipConversionError, ValueError, FileNotFoundError) as error:
        row.update(status="refused", notes_or_error=str(error).replace("\t", " ").replace("\n", " "))
        return row, None
    report = json.loads(clip.attrs["quality_report"])
    row.update(status="converted", steps=clip.num_steps, seconds=round(clip.num_steps * clip.dt, 2),
               root_scale=round(float(clip.attrs["root_scale"]), 4),
               notes_or_error="; ".join(json.loads(clip.attrs["conversion_notes"])))
    row.update({key: round(value, 4) for key, value in report.items()})
    row["convert_s"] = round(time.perf_counter() - begin, 1)
    return row, clip


def main(argv=None) -> int:
    from tqdm import tqdm

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clips", default=None, help="also write the converted clips to this clip file")
    parser.add_argument("--report", default=str(REPO_ROOT / "docs" / "mocap_takes_report.tsv"))
    parser.add_argument("--limit", type=int, default=None, help="only the first N takes (a quick try)")
    args = parser.parse_args(argv)
    if not TAKES.is_dir():
        print(f"{TAKES} is absent: this script converts the shared real takes", file=sys.stderr)
        return 1
    takes = sorted(TAKES.glob("*/*.amc.gz"))[: args.limit]
    rows, clips = [], []
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for row, clip in tqdm(pool.imap(convert_one, takes), total=len(takes), unit="take"):
            rows.append(row)
            if clip is not None and args.clips:
                clips.append(clip)
    report = Path(args.report)
    report.parent.mkdir(parents=True, exist_ok=True)
    with open(report, "w") as out:
        out.write("\t".join(FIELDS) + "\n")
        for row in rows:
            out.write("\t".join(str(row.get(field, "")) for field in FIELDS) + "\n")
    converted = [row for row in rows if row["status"] == "converted"]
    minutes = sum(row["seconds"] for row in converted) / 60
    print(f"{len(converted)} of {len(rows)} takes converted ({minutes:.1f} min of motion); report: {report}")
    for row in rows:
        if row["status"] != "converted" or row["notes_or_error"]:
            print(f"  {row['take']}: {row['status']}: {row['notes_or_error']}")
    if args.clips:
        from envsuite.mocap.clips import write_clips

        print(write_clips(args.clips, clips, overwrite=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
