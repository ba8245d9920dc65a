"""Crash safety of `generate`: one generate per dataset at a time (a file lock the kernel releases
when its holder dies), a failed write (full disk, unwritable folder) is one clear error and leaves
nothing half-written, a dead worker is an error rather than a hang. The SIGKILL trials are in
test_fault_kill.py."""

import dataclasses
import errno
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from datagen import runner as runner_module
from datagen.cli import main
from datagen.generate import GenerationBusyError, GenerationError, generate, generation_lock
from datagen.recipes import load_recipe
from envsuite.data import DatasetWriter

DATASET = "locomotion/hopper-random-v0"


def recipe():
    return dataclasses.replace(load_recipe(DATASET), episodes_per_shard=4)


def leftovers(folder):
    """Every hidden file or folder (partial files, shard folders, locks) under `folder`."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*"))


def test_a_second_generate_of_the_same_dataset_exits_with_a_clear_message(tmp_path, capsys):
    final = tmp_path / "locomotion" / "hopper-random-v0.h5"
    with generation_lock(final, DATASET):
        with pytest.raises(GenerationBusyError, match=rf"another envsuite-datagen generate \(pid {os.getpid()}\)"):
            generate(recipe(), "300", out=tmp_path, progress=False)
        assert main(["generate", DATASET, "--size", "300", "--out", str(tmp_path), "--quiet"]) == 1
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and "is writing locomotion/hopper-random-v0" in error
    assert not final.exists()
    generate(recipe(), "300", out=tmp_path, progress=False)  # free again: it runs
    assert final.exists() and leftovers(tmp_path) == []


def test_the_lock_of_a_killed_generate_does_not_block_the_rerun(tmp_path):
    final = tmp_path / "locomotion" / "hopper-random-v0.h5"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from datagen.generate import generation_lock\n"
        f"with generation_lock(Path({str(final)!r}), 'x'):\n"
        "    print('locked', flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(GenerationBusyError):
        generate(recipe(), "300", out=tmp_path, progress=False)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    assert generate(recipe(), "300", out=tmp_path, progress=False) == final
    assert leftovers(tmp_path) == []


def test_a_full_disk_while_writing_shards_is_one_error_and_leaves_nothing(tmp_path, monkeypatch):
    def no_space(file, **arrays):
        raise OSError(errno.ENOSPC, "No space left on device", str(file.name))

    monkeypatch.setattr(runner_module.np, "savez", no_space)
    with pytest.raises(GenerationError, match=r"the disk is full.*nothing half-written was left"):
        generate(recipe(), "300", out=tmp_path, progress=False)
    assert leftovers(tmp_path) == [] and not (tmp_path / "locomotion" / "hopper-random-v0.h5").exists()


def test_a_full_disk_while_writing_the_dataset_keeps_only_finished_shards(tmp_path, monkeypatch):
    calls = []
    original = DatasetWriter.add_episode

    def add_episode(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.partial_path))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DatasetWriter, "add_episode", add_episode)
    with pytest.raises(GenerationError, match=r"finished shards are kept in .*for the rerun"):
        generate(recipe(), "300", out=tmp_path, progress=False)
    left = leftovers(tmp_path)
    assert left and all(name.startswith("locomotion/.hopper-random-v0.shards") for name in left)
    assert not [name for name in left if name.endswith((".tmp", ".partial", ".lock"))]
    monkeypatch.setattr(DatasetWriter, "add_episode", original)
    assert generate(recipe(), "300", out=tmp_path, progress=False).exists()  # the rerun completes
    assert leftovers(tmp_path) == []


def test_an_unwritable_folder_is_one_clear_error(tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the dataset root should be")
    with pytest.raises(GenerationError, match="a part of the path is a file, not a folder"):
        generate(recipe(), "300", out=blocker, progress=False)
    assert main(["generate", DATASET, "--size", "300", "--out", str(blocker), "--quiet"]) == 1
    assert capsys.readouterr().err.count("\n") == 1


def test_a_killed_worker_is_an_error_not_a_hang(tmp_path):
    """SIGKILL one worker of a 2-worker generate: the driver stops with WorkerDiedError (exit 1) and
    says the rerun resumes; the rerun completes."""
    command = [sys.executable, "-m", "datagen.cli", "generate", DATASET, "--size", "20000", "--workers", "2",
               "--out", str(tmp_path), "--quiet"]
    driver = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    workers = []
    deadline = time.monotonic() + 60
    while not workers and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = _children(driver.pid)
    assert workers, "the driver started no worker processes"
    time.sleep(1.0)
    os.kill(workers[0], signal.SIGKILL)
    try:
        _, error = driver.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        driver.kill()
        pytest.fail("the driver hung after its worker was killed")
    if driver.returncode != 0:  # (0: the worker had already done its last shard)
        assert driver.returncode == 1 and "rerun the same command to resume" in error
    assert subprocess.run(command, capture_output=True, text=True).returncode == 0
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("broken_at", ["submit", "result"])
def test_a_broken_pool_is_the_same_clear_error_wherever_it_is_seen(tmp_path, monkeypatch, capsys, broken_at):
    """Whether the driver first sees the dead worker when it hands out the next shard or when it waits
    for one in flight is timing; both give the one-line resume message (the SIGKILL test above meets
    one or the other by chance)."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    class BrokenPool:
        def submit(self, fn, *args):
            if broken_at == "submit":
                raise BrokenProcessPool("A child process terminated abruptly")
            future = Future()
            future.set_exception(BrokenProcessPool("A child process terminated abruptly"))
            return future

        def shutdown(self, wait=True, cancel_futures=False):
            pass

    monkeypatch.setattr(runner_module.LocalRunner, "_get_pool", lambda self: BrokenPool())
    assert main(["generate", DATASET, "--size", "300", "--workers", "2", "--out", str(tmp_path), "--quiet"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "a worker process died" in error and "rerun the same command to resume" in error
    assert not (tmp_path / "locomotion" / "hopper-random-v0.h5").exists()


def _children(pid):
    """Worker processes of `pid` (the spawn helper excluded: workers run the spawn entry point)."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as handle:
            found += [int(child) for child in handle.read().split()]
    workers = []
    for child in found:
        try:
            with open(f"/proc/{child}/cmdline", "rb") as handle:
                if b"spawn_main" in handle.read():
                    workers.append(child)
        except FileNotFoundError:
            pass
    return workers
