"""Android stub benchmark: env steps/s at 540x1200 with the scripted expert acting, beside the anchor
android_env's own emulator-free fake (its FakeSimulator, which serves random pixels), in one run.

    python benchmarks/android.py [--quick]      (`make bench` runs it)

1. `envsuite/AndroidStub-General-v0` and `-WebShop-v0` at 540x1200, the expert acting, one episode per
   task of the file in file order, resets included in the time: a first pass in a fresh process
   (every text on the screen is drawn for the first time: the renderer's caches are cold) and a
   second pass over the same tasks (warm caches: the steady state of RL training);
2. the General env with random UI actions (the noise of the mixed datasets);
3. the anchor: android_env 1.3.0's AndroidEnv around its stock FakeSimulator with a 1200x540 screen,
   stepped with TOUCH / LIFT taps at random points (the fastest thing android_env offers without an
   emulator), and the same through envsuite's android_env adapter (AitW actions: a tap is a TOUCH
   and a LIFT step of android_env).
Ratios are envsuite's steps/s over the anchor's, measured in the same run. Issue 6's bar:
>= 500 env steps/s at 540x1200 with the expert acting. Writes the "Android" section of
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 540, 1200


def expert_pass(env, expert, limit: int | None = None) -> tuple[float, int]:
    """(steps/s, steps) of one expert episode per task (the first `limit` tasks), resets included."""
    from envsuite.android.expert import run_episode

    count = len(env.tasks) if limit is None else min(limit, len(env.tasks))
    steps = 0
    begin = time.perf_counter()
    for index in range(count):
        steps += len(run_episode(env, expert, seed=index, task_index=index)["rewards"])
    return steps / (time.perf_counter() - begin), steps


def random_ui_steps_per_second(env, steps: int) -> float:
    from envsuite.android.expert import random_ui_action

    rng = np.random.default_rng(0)
    _, info = env.reset(seed=0)
    begin = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, info = env.step(random_ui_action(info["ui_tree"], rng))
        if terminated or truncated:
            _, info = env.reset()
    return steps / (time.perf_counter() - begin)


def android_env_fake(steps: int) -> tuple[float, float] | None:
    """(android_env FakeSimulator taps/s as TOUCH+LIFT pairs, the adapter's DUAL_POINT steps/s), or None
    when android_env is not installed."""
    try:
        from android_env import environment
        from android_env.components import config_classes, coordinator, device_settings, task_manager
        from android_env.components.simulators.fake import fake_simulator
        from android_env.proto import task_pb2
    except ImportError:
        return None
    from envsuite.android.android_env_adapter import AndroidEnvAdapter
    from envsuite.android.spaces import DUAL_POINT, make_action

    def build():
        simulator = fake_simulator.FakeSimulator(config_classes.FakeSimulatorConfig(screen_dimensions=(HEIGHT, WIDTH)))
        manager = task_manager.TaskManager(task_pb2.Task(id="bench", name="bench"))
        env_coordinator = coordinator.Coordinator(simulator, manager,
                                                  device_settings=device_settings.DeviceSettings(simulator))
        return environment.AndroidEnv(simulator=simulator, coordinator=env_coordinator, task_manager=manager)

    rng = np.random.default_rng(0)
    env = build()
    env.reset()
    begin = time.perf_counter()
    for _ in range(steps):
        point = rng.uniform(0.0, 1.0, 2).astype(np.float32)
        for kind in (0, 1):  # TOUCH then LIFT: one tap
            env.step({"action_type": np.array(kind), "touch_position": point})
    taps = steps / (time.perf_counter() - begin)
    env.close()
    adapter = AndroidEnvAdapter(env=build(), goal="benchmark", render_width=WIDTH, render_height=HEIGHT,
                                horizon=10 ** 9)
    adapter.reset(seed=0)
    begin = time.perf_counter()
    for _ in range(steps):
        adapter.step(make_action(DUAL_POINT, rng.uniform(0.0, 1.0, 2)))
    adapter_rate = steps / (time.perf_counter() - begin)
    adapter.close()
    return taps, adapter_rate


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer tasks and steps (a smoke run; not the published figures)")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "RESULTS.md"))
    args = parser.parse_args(argv)
    limit = 60 if args.quick else None
    steps = 300 if args.quick else 3_000
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    from benchmarks.results import machine_description, write_section
    from envsuite.android.env import AndroidStubEnv
    from envsuite.android.expert import Expert

    rows = []
    for task_set in ("general", "webshop"):
        env = AndroidStubEnv(task_set, render_width=WIDTH, render_height=HEIGHT)
        expert = Expert(env.device.apps)
        cold, count = expert_pass(env, expert, limit)
        warm, _ = expert_pass(env, expert, limit)
        rows.append((f"envsuite stub, {task_set}, expert, first pass (cold caches)", f"{count:,} steps", cold))
        rows.append((f"envsuite stub, {task_set}, expert, second pass (warm caches)", f"{count:,} steps", warm))
    random_rate = random_ui_steps_per_second(AndroidStubEnv("general", render_width=WIDTH, render_height=HEIGHT), steps)
    rows.append(("envsuite stub, general, random UI actions", f"{steps:,} steps", random_rate))
    anchor = android_env_fake(steps // 3)
    table = ["| work | size | env steps/s | / anchor |", "|---|---|---|---|"]
    anchor_rate = anchor[0] if anchor else None
    for name, size, rate in rows:
        ratio = f"{rate / anchor_rate:.1f}x" if anchor_rate else "n/a"
        table.append(f"| {name} | {size} | {rate:,.0f} | {ratio} |")
    if anchor:
        table.append(f"| anchor: android_env 1.3.0 AndroidEnv + FakeSimulator (random pixels), a tap = TOUCH + LIFT "
                     f"| {steps // 3:,} taps | {anchor[0]:,.0f} taps/s | 1.0x |")
        table.append(f"| envsuite's android_env adapter on that FakeSimulator (AitW DUAL_POINT taps) "
                     f"| {steps // 3:,} steps | {anchor[1]:,.0f} | {anchor[1] / anchor[0]:.1f}x |")
    command = "python benchmarks/android.py" + (" --quick" if args.quick else "")
    section = "\n".join([
        "## Android stub (issue 6)",
        "",
        f"Command: `{command}`. Run started {started}. Machine: {machine_description()}.",
        f"One process; screens rendered at {WIDTH}x{HEIGHT} on every step and reset (observation Dict with the",
        "padded annotations). Expert passes: one episode per task of DigiRL's file, resets included. Anchor:",
        "android_env's FakeSimulator (no emulator) in the same run" + ("." if anchor else
                                                                       " (not installed here: no ratios)."),
        "",
        *table,
    ])
    write_section(Path(args.out), "android", section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
