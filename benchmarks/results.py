"""benchmarks/RESULTS.md: one section per benchmark script, each rewritten only by its own script.

Where it sits: shared by benchmarks/run.py (locomotion datagen, reading, metrics) and
benchmarks/mocap.py (MoCap tracking), so that running one does not erase the other's figures.
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

HEADER = ("# Benchmark results\n\nEach section was written by the command it names, which runs envsuite and its anchor on\n"
          "the same work in one process run; absolute times on a small shared machine are noise, the\n"
          "ratios are the result.\n")


def write_section(path: Path, name: str, text: str) -> None:
    """Replace (or append) the section `name` of the results file with `text`."""
    begin, end = f"<!-- section:{name} -->", f"<!-- /section:{name} -->"
    block = f"{begin}\n{text.strip()}\n{end}\n"
    current = path.read_text() if path.exists() else HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.S)
    updated = pattern.sub(lambda _: block, current) if pattern.search(current) else current.rstrip() + "\n\n" + block
    path.write_text(updated)


def machine_description() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()} "
            f"{platform.release()}; load average at start {load[0]:.2f}")
