"""The fault suite: SIGKILL `envsuite-datagen generate` at a random moment (the driver, or one of its
worker processes), rerun the same command, and the dataset completes with the identical content
hash, no stray file (partial dataset, shard folder, temporary file, lock) and no orphan process.

2 trials run by default; `pytest -m slow tests/datagen/test_fault_kill.py` runs 20 more, and 4 with
`--backend ray` (the driver killed; a local Ray's agent processes outlive it and are ended by the
test). Trials alternate between the batched locomotion rollout (hopper) and a family's own rollout
(StarCraft).
"""

import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

CASES = {"locomotion/hopper-random-v0": "20000", "starcraft/3m-random-v0": "3000"}


def command(dataset_id, out, backend="local"):
    return [sys.executable, "-m", "datagen.cli", "generate", dataset_id, "--size", CASES[dataset_id], "--workers",
            "2", "--out", str(out), "--quiet", "--backend", backend]


def final_path(out, dataset_id):
    family, name = dataset_id.split("/")
    return out / family / f"{name}.h5"


def content_hash(path):
    with h5py.File(path) as file:
        return file.attrs["content_sha256"]


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    """Each case generated without faults: its content hash and how long the command takes."""
    found = {}
    for dataset_id in CASES:
        out = tmp_path_factory.mktemp("reference")
        begin = time.monotonic()
        subprocess.run(command(dataset_id, out), check=True, capture_output=True)
        found[dataset_id] = (content_hash(final_path(out, dataset_id)), time.monotonic() - begin)
    return found


def descendants(pid):
    """Every process below `pid` (children of children included)."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except FileNotFoundError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as handle:
                    children = [int(child) for child in handle.read().split()]
            except FileNotFoundError:
                continue
            found += children
            queue += children
    return found


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def kill_trial(trial, references, tmp_path, backend="local"):
    rng = np.random.default_rng(1000 + trial)
    dataset_id = list(CASES)[trial % len(CASES)]
    reference_hash, duration = references[dataset_id]
    if backend == "ray":
        duration += 6.0  # a local Ray takes some seconds to start
    out = tmp_path / "out"
    # output to files, not pipes: an orphan holding a pipe would make waiting for the driver hang
    log = open(tmp_path / "driver.log", "w")
    driver = subprocess.Popen(command(dataset_id, out, backend), stdout=log, stderr=log)
    delay = float(rng.uniform(0.2, duration))
    target = "driver" if rng.random() < 0.6 or backend == "ray" else "worker"
    begin = time.monotonic()
    processes = []
    while time.monotonic() - begin < delay and driver.poll() is None:
        processes = sorted(set(processes) | set(descendants(driver.pid)))
        time.sleep(0.02)
    workers = [pid for pid in descendants(driver.pid) if alive(pid)]
    victim = driver.pid if target == "driver" or not workers else int(rng.choice(workers))
    if driver.poll() is None:
        os.kill(victim, signal.SIGKILL)
    try:
        driver.wait(timeout=120)
    except subprocess.TimeoutExpired:
        driver.kill()
        pytest.fail(f"trial {trial}: the driver hung after {target} {victim} was killed at {delay:.2f} s")
    # no orphan: every process the run started dies with it (workers follow their driver)
    deadline = time.monotonic() + 20
    while any(alive(pid) for pid in processes + workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    log.close()
    orphans = [pid for pid in processes + workers if alive(pid)]
    for pid in orphans:
        os.kill(pid, signal.SIGKILL)
    if backend == "ray":  # a local Ray's agents outlive a SIGKILLed driver (see the README); ended above
        orphans = []
    assert not orphans, f"trial {trial}: orphan processes remain after {target} was killed at {delay:.2f} s"
    rerun = subprocess.run(command(dataset_id, out, backend), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, f"trial {trial}: the rerun failed: {rerun.stderr}"
    path = final_path(out, dataset_id)
    assert content_hash(path) == reference_hash, f"trial {trial} ({target} killed at {delay:.2f} s): hash differs"
    stray = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p != path and p.is_file())
    assert stray == [], f"trial {trial}: stray files {stray}"
    assert [p for p in path.parent.iterdir()] == [path]
    return target, delay


@pytest.mark.parametrize("trial", range(2))
def test_sigkill_then_rerun_completes_with_the_same_hash(trial, references, tmp_path):
    kill_trial(trial, references, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(2, 22))
def test_sigkill_then_rerun_completes_with_the_same_hash_20_more(trial, references, tmp_path):
    kill_trial(trial, references, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(4))
def test_sigkill_of_a_ray_driver_then_rerun_completes_with_the_same_hash(trial, references, tmp_path):
    pytest.importorskip("ray")
    kill_trial(trial, references, tmp_path, backend="ray")
