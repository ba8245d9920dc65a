"""Side-by-side benchmarks: envsuite against its anchors, on the same work, in one process run.

    python benchmarks/run.py [--quick] [--out benchmarks/RESULTS.md]     (`make bench`)

Writes benchmarks/RESULTS.md with the command, the machine and, for each comparison, both timings
and their ratio. Absolute numbers on small shared machines are noise; the ratios are the result
(DESIGN.md section 8). Tests never assert timings; this file is where speed is measured.

Comparisons (issue 3):
1. datagen throughput on Hopper (random and expert policy) vs Minari 0.5.4 `DataCollector` +
   `create_dataset`, and vs the raw physics limit (mj_step x frame_skip on all cores);
2. reading a 1M-step dataset into numpy and iterating all its episodes vs Minari `load_dataset` +
   `iterate_episodes` on the same data;
3. SACo on 1e7 rows (14 float32 columns with duplicates) vs `np.unique(axis=0)`; episode returns vs
   `np.add.reduceat`;
4. peak RSS of generating datasets of two sizes (flat in N?), sampled over the process tree.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import warnings

import numpy as np

warnings.filterwarnings("ignore", module="minari")  # its "please add a description" advice, per dataset

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.results import machine_description, write_section  # noqa: E402


@dataclasses.dataclass
class Comparison:
    name: str
    work: str
    envsuite_seconds: float
    anchor_name: str
    anchor_seconds: float
    unit: str = "s"
    note: str = ""

    @property
    def speedup(self) -> float:
        return self.anchor_seconds / self.envsuite_seconds


# --- 1. physics limit and datagen throughput ---------------------------------------------------


def _physics_worker(args):
    xml, frame_skip, seconds, seed = args
    import mujoco

    model = mujoco.MjModel.from_xml_path(xml)
    data = mujoco.MjData(model)
    rng = np.random.default_rng(seed)
    controls = rng.uniform(-1, 1, (1000, model.nu))
    steps, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for control in controls:
            data.ctrl[:] = control
            mujoco.mj_step(model, data, nstep=frame_skip)
        steps += len(controls)
        mujoco.mj_resetData(model, data)
        mujoco.mj_forward(model, data)
    return steps, time.perf_counter() - started


def physics_limit_steps_per_second(seconds: float) -> float:
    """Env steps/s of bare mj_step(nstep=frame_skip) on Hopper in one process per core."""
    from gymnasium.envs.mujoco.mujoco_env import expand_model_path

    cores = os.cpu_count() or 1
    xml = expand_model_path("hopper.xml")
    with multiprocessing.get_context("spawn").Pool(cores) as pool:
        results = pool.map(_physics_worker, [(xml, 4, seconds, seed) for seed in range(cores)])
    return sum(steps / elapsed for steps, elapsed in results)


def _replay_worker(args):
    """Bare mj_step(nstep=4) over the episodes' recorded controls, from their recorded start states."""
    xml, episodes = args
    import mujoco

    model = mujoco.MjModel.from_xml_path(xml)
    data = mujoco.MjData(model)
    started = time.perf_counter()
    for qpos, qvel, controls in episodes:
        mujoco.mj_resetData(model, data)
        data.qpos[:], data.qvel[:] = qpos, qvel
        mujoco.mj_forward(model, data)
        for control in controls:
            data.ctrl[:] = control
            mujoco.mj_step(model, data, nstep=4)
    return time.perf_counter() - started


def same_work_physics_seconds(path: Path) -> float:
    """Wall time of the bare physics of a generated Hopper dataset: its episodes' actions replayed
    open-loop with mj_step from the same start states, split over all cores (no Python policy, no
    observations, no writing). This is the floor for generating exactly that data."""
    import gymnasium

    import envsuite  # noqa: F401
    from envsuite.data import load_dataset
    from gymnasium.envs.mujoco.mujoco_env import expand_model_path

    env = gymnasium.make("envsuite/Hopper-v0").unwrapped
    episodes = []
    with load_dataset(path, in_memory=True) as dataset:
        for episode in dataset.episodes():
            env.reset(seed=int(episode.seed))  # the start state the dataset's episode had
            episodes.append((env.data.qpos.copy(), env.data.qvel.copy(), np.asarray(episode.actions, dtype=np.float64)))
    cores = os.cpu_count() or 1
    parts = [episodes[i::cores] for i in range(cores)]
    with multiprocessing.get_context("spawn").Pool(cores) as pool:
        pool.map(_replay_worker, [(expand_model_path("hopper.xml"), [])] * cores)  # start-up outside the timing
        started = time.perf_counter()
        pool.map(_replay_worker, [(expand_model_path("hopper.xml"), part) for part in parts])
    return time.perf_counter() - started


def envsuite_datagen_seconds(dataset_id: str, steps: int, out: Path) -> tuple[float, Path]:
    from datagen.generate import generate
    from datagen.recipes import load_recipe

    recipe = load_recipe(dataset_id)
    started = time.perf_counter()
    path = generate(recipe, str(steps), out=out, workers=os.cpu_count() or 1, progress=False, overwrite=True)
    return time.perf_counter() - started, Path(path)


def minari_datagen_seconds(kind: str, steps: int, minari_root: Path) -> float:
    """Minari's documented way: DataCollector around gymnasium's Hopper-v5, then create_dataset."""
    os.environ["MINARI_DATASETS_PATH"] = str(minari_root)
    import gymnasium
    import minari

    from envsuite import paths
    from envsuite.policies import LinearPolicy

    env = minari.DataCollector(gymnasium.make("Hopper-v5"))
    policy = LinearPolicy.load(paths.asset_path("locomotion", "hopper_expert.npz")) if kind == "expert" else None
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    observation, _ = env.reset(seed=0)
    for _ in range(steps):
        if policy is None:
            action = env.action_space.sample()
        else:
            action = policy(observation[None], rng)[0]
        observation, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            observation, _ = env.reset()
    env.create_dataset(dataset_id=f"bench/hopper-{kind}-v0", algorithm_name="benchmark")
    return time.perf_counter() - started


# --- 2. reading -------------------------------------------------------------------------------


READ_REPEATS = 3


def read_comparison(path: Path, minari_root: Path) -> tuple[float, float, int]:
    """Load fully + iterate episodes: envsuite vs Minari on the same episodes."""
    os.environ["MINARI_DATASETS_PATH"] = str(minari_root)
    import minari
    from minari.data_collector import EpisodeBuffer

    from envsuite.data import load_dataset

    with load_dataset(path) as dataset:
        buffers = []
        for episode in dataset.episodes():
            observations = np.concatenate([episode.observations, episode.final_observation[None]])
            buffers.append(EpisodeBuffer(
                observations=list(observations), actions=list(episode.actions), rewards=list(episode.rewards),
                terminations=list(episode.terminals), truncations=list(episode.timeouts)))
        episodes = dataset.total_episodes
    minari.create_dataset_from_buffers("bench/read-v0", buffers, env="Hopper-v5", algorithm_name="benchmark")
    del buffers

    # Best of READ_REPEATS for both sides (as timeit does): one run of a 0.1 s task on a shared
    # 2-core machine is mostly scheduling noise.
    envsuite_seconds = minari_seconds = float("inf")
    for _ in range(READ_REPEATS):
        started = time.perf_counter()
        with load_dataset(path, in_memory=True) as dataset:
            steps = sum(len(episode.rewards) for episode in dataset.episodes())
        envsuite_seconds = min(envsuite_seconds, time.perf_counter() - started)

        started = time.perf_counter()
        minari_dataset = minari.load_dataset("bench/read-v0")
        minari_steps = sum(len(episode.rewards) for episode in minari_dataset.iterate_episodes())
        minari_seconds = min(minari_seconds, time.perf_counter() - started)
    if minari_steps != steps:
        raise RuntimeError(f"Minari read {minari_steps} steps, envsuite {steps}: not the same data")
    return envsuite_seconds, minari_seconds, episodes


# --- 3. metrics -------------------------------------------------------------------------------


def saco_comparison(rows: int) -> tuple[float, float]:
    """Unique digitised rows of 14 float32 columns with duplicates: envsuite's kernel vs np.unique."""
    from envsuite.metrics import count_unique_rows, digitize

    rng = np.random.default_rng(0)
    pool = rng.standard_normal((rows // 5, 14)).astype(np.float32)
    data = pool[rng.integers(0, len(pool), rows)]  # every row about 5 times
    low, high = data.min(axis=0), data.max(axis=0)
    bins = 20
    count_unique_rows(digitize(data[:1000], low, high, bins))  # compile outside the timing
    count_unique_rows(digitize(data[: 1 << 19], low, high, bins))  # the parallel kernels too
    started = time.perf_counter()
    ours = count_unique_rows(digitize(data, low, high, bins))
    envsuite_seconds = time.perf_counter() - started
    started = time.perf_counter()
    codes = np.clip(np.floor((data - low) / (high - low) * bins), 0, bins - 1).astype(np.int32)
    theirs = len(np.unique(codes, axis=0))
    numpy_seconds = time.perf_counter() - started
    if ours != theirs:
        raise RuntimeError(f"SACo unique counts differ: envsuite {ours}, numpy {theirs}")
    return envsuite_seconds, numpy_seconds


def returns_comparison(rows: int) -> tuple[float, float]:
    from envsuite.metrics import episode_returns

    rng = np.random.default_rng(1)
    rewards = rng.standard_normal(rows).astype(np.float32)
    lengths = rng.integers(1, 2000, rows // 1000)
    lengths = lengths[: np.searchsorted(np.cumsum(lengths), rows)]
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    rewards = rewards[: int(lengths.sum())]
    episode_returns(rewards[:10], np.array([0]), np.array([10]))  # compile outside the timing
    started = time.perf_counter()
    ours = episode_returns(rewards, starts, lengths.astype(np.int64))
    envsuite_seconds = time.perf_counter() - started
    started = time.perf_counter()
    theirs = np.add.reduceat(rewards.astype(np.float64), starts)
    numpy_seconds = time.perf_counter() - started
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    return envsuite_seconds, numpy_seconds


# --- 4. memory --------------------------------------------------------------------------------


def peak_rss_mib(dataset_id: str, steps: int, out: Path) -> tuple[float, float]:
    """Peak RSS of `envsuite-datagen generate` with 2 workers: (largest process, whole process tree).

    The tree is sampled with psutil every 20 ms. (getrusage's ru_maxrss is no good here: Linux keeps
    it across exec, so a child of this benchmark process would report this process's own peak.)
    """
    import psutil

    command = [sys.executable, "-m", "datagen.cli", "generate", dataset_id, "--size", str(steps), "--workers", "2",
               "--out", str(out), "--quiet", "--overwrite"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root = psutil.Process(process.pid)
    largest = total = 0
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            sizes = [p.memory_info().rss for p in tree]
        except psutil.Error:
            continue  # a process ended between listing and reading
        largest, total = max(largest, max(sizes)), max(total, sum(sizes))
        time.sleep(0.02)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed with exit code {process.returncode}")
    return largest / 2**20, total / 2**20


# --- report -----------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run; not the published figures)")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "RESULTS.md"))
    args = parser.parse_args(argv)
    scale = 0.05 if args.quick else 1.0
    gen_steps, read_steps = int(100_000 * scale), int(1_000_000 * scale)
    saco_rows, returns_rows = int(10_000_000 * scale), int(10_000_000 * scale)
    command = "python benchmarks/run.py" + (" --quick" if args.quick else "")
    machine = machine_description()
    comparisons: list[Comparison] = []
    lines: list[str] = []
    started_utc = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        physics = physics_limit_steps_per_second(seconds=10 * max(scale, 0.3))
        for kind in ("random", "expert"):
            ours, generated = envsuite_datagen_seconds(f"locomotion/hopper-{kind}-v0", gen_steps, scratch / f"gen-{kind}")
            minari_s = minari_datagen_seconds(kind, gen_steps, scratch / f"minari-{kind}")
            comparisons.append(Comparison(f"datagen, Hopper {kind}", f"{gen_steps:,} steps written to HDF5",
                                          ours, "Minari 0.5.4 DataCollector + create_dataset", minari_s))
            same_work = same_work_physics_seconds(generated)
            comparisons.append(Comparison(f"datagen vs its own bare physics, Hopper {kind}",
                                          f"the same {gen_steps:,} steps' controls, open loop",
                                          ours, f"bare mj_step x 4 on {os.cpu_count()} cores", same_work))
            lines.append(f"- datagen Hopper {kind}: {gen_steps / ours:,.0f} steps/s = "
                         f"{(gen_steps / ours) / physics:.2f} x the generic physics limit ({physics:,.0f} env "
                         f"steps/s: bare mj_step x 4 with random controls on {os.cpu_count()} cores) and "
                         f"{same_work / ours:.2f} x the bare physics of the very same steps ({same_work:.1f} s)")

        from datagen.generate import generate
        from datagen.recipes import load_recipe

        dataset_path = generate(load_recipe("locomotion/hopper-medium-v0"), str(read_steps), out=scratch / "read",
                                workers=os.cpu_count() or 1, progress=False)
        ours, minari_s, episodes = read_comparison(dataset_path, scratch / "minari-read")
        comparisons.append(Comparison("full load + iterate episodes",
                                      f"{read_steps:,} steps, {episodes:,} episodes; best of {READ_REPEATS}",
                                      ours, "Minari load_dataset + iterate_episodes", minari_s))

        ours, numpy_s = saco_comparison(saco_rows)
        comparisons.append(Comparison("SACo unique counting", f"{saco_rows:,} rows x 14 float32, ~5 copies each",
                                      ours, "np.unique(axis=0)", numpy_s))
        ours, numpy_s = returns_comparison(returns_rows)
        comparisons.append(Comparison("episode returns", f"{returns_rows:,} rewards", ours, "np.add.reduceat", numpy_s))

        for steps in (read_steps // 5, read_steps):
            largest, total = peak_rss_mib("locomotion/hopper-random-v0", steps, scratch / f"rss-{steps}")
            lines.append(f"- peak RSS of `generate` with 2 workers at {steps:,} steps: {largest:.0f} MiB in the "
                         f"largest process, {total:.0f} MiB for the driver and its workers together")

    table = ["| comparison | work | envsuite (s) | anchor | anchor (s) | envsuite speed-up |", "|---|---|---|---|---|---|"]
    for c in comparisons:
        table.append(f"| {c.name} | {c.work} | {c.envsuite_seconds:.3f} | {c.anchor_name} | {c.anchor_seconds:.3f} | "
                     f"{c.speedup:.1f}x |")
    report = "\n".join([
        "## Locomotion datagen, reading and metrics (issue 3)",
        "",
        f"Command: `{command}` (from the repository root; `make bench` runs it). Run started {started_utc}.",
        f"Machine: {machine}.",
        "Where a bar of issue 3 is missed, benchmarks/PROFILE.md shows where the time goes.",
        "",
        *table,
        "",
        *lines,
    ])
    write_section(Path(args.out), "locomotion", report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
