"""MoCap tracking benchmark: envsuite/CMUHumanoidTracking-v0 against dm_control's MultiClipMocapTracking.

    python benchmarks/mocap.py [--quick]      (`make bench` runs it after benchmarks/run.py)

Both envs track the same clip (the committed CMU 02_01 walk) with the same observation set (the 24
observables of MoCapAct's layout; dm_control also computes its empty prop observables) and the same
actions, in this one process run:
1. random actions (uniform in [-1, 1]; the humanoid falls within a few steps, so episodes are short):
   env steps/s without the resets, and the mean reset time at random starts;
2. the expert's actions: one episode of the tracking expert from the clip's start, recorded with
   envsuite, then replayed in both envs from the same start (the trajectories are the same, by the
   parity test): env steps/s on a humanoid that walks, the best of 5 replays for each;
3. the expert's own cost per step (the MPPI planner on top of the env step).
Writes the "MoCap tracking" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CLIP, START, END = "02_01", 0, 95


def time_random_actions(env_step, env_reset, actions) -> tuple[float, float, int]:
    """(seconds stepping, seconds resetting, resets) over the action sequence."""
    stepping = resetting = 0.0
    resets = 0
    for action in actions:
        begin = time.perf_counter()
        done = env_step(action)
        stepping += time.perf_counter() - begin
        if done:
            begin = time.perf_counter()
            env_reset()
            resetting += time.perf_counter() - begin
            resets += 1
    return stepping, resetting, resets


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (a smoke run; not the published figures)")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "RESULTS.md"))
    args = parser.parse_args(argv)
    random_steps = 300 if args.quick else 3000
    replays = 1 if args.quick else 5
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    import envsuite  # noqa: F401
    from envsuite.mocap.convert import library_path
    from envsuite.mocap.expert import TrackingMPC, run_episode
    from envsuite.mocap.oracle import dm_control_tracking
    from envsuite.mocap.tracking import CMUHumanoidTrackingEnv

    from benchmarks.results import machine_description, write_section

    snippet = f"{CLIP}-{START}-{END}"
    ours = CMUHumanoidTrackingEnv(snippets=[snippet], start_mode="random-start")
    theirs, task = dm_control_tracking(library_path(), CLIP, START, END, always_init_at_clip_start=False, seed=0)
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1.0, 1.0, (random_steps, 56))

    # 1. random actions, random starts (each env draws its own starts; reset cost does not depend on the start)
    ours.reset(seed=0)
    theirs.reset()
    our_step = lambda a: any(ours.step(a.astype(np.float32))[2:4])  # noqa: E731
    their_step = lambda a: theirs.step(a).last()  # noqa: E731
    our_stepping, our_resetting, our_resets = time_random_actions(our_step, lambda: ours.reset(), actions)
    their_stepping, their_resetting, their_resets = time_random_actions(their_step, theirs.reset, actions)

    # 2. the expert's actions, replayed in both from the clip's start
    expert = TrackingMPC()
    begin = time.perf_counter()
    episode = run_episode(ours, expert, np.random.default_rng(1), options={"start_step": START})
    expert_seconds = time.perf_counter() - begin
    expert_actions = episode["actions"].astype(np.float64)
    replay_env = CMUHumanoidTrackingEnv(snippets=[snippet])
    replay_theirs, _ = dm_control_tracking(library_path(), CLIP, START, END, always_init_at_clip_start=True, seed=0)
    expert_actions32 = expert_actions.astype(np.float32)
    our_replay = their_replay = float("inf")  # best of `replays` for both: the host's noise only slows runs down
    for _ in range(replays):
        replay_env.reset(options={"start_step": START})
        begin = time.perf_counter()
        for action in expert_actions32:
            replay_env.step(action)
        our_replay = min(our_replay, time.perf_counter() - begin)
        replay_theirs.reset()
        begin = time.perf_counter()
        for action in expert_actions:
            replay_theirs.step(action)
        their_replay = min(their_replay, time.perf_counter() - begin)
    replayed = len(expert_actions)

    rows = [
        ("env steps/s, random actions", f"{random_steps:,} steps, resets excluded",
         random_steps / our_stepping, random_steps / their_stepping),
        ("env steps/s, the expert's actions", f"{len(expert_actions)} steps, best of {replays}, the humanoid walks",
         replayed / our_replay, replayed / their_replay),
    ]
    table = ["| comparison | work | envsuite | dm_control MultiClipMocapTracking | envsuite speed-up |",
             "|---|---|---|---|---|"]
    for name, work, mine, anchor in rows:
        table.append(f"| {name} | {work} | {mine:,.0f} | {anchor:,.0f} | {mine / anchor:.1f}x |")
    our_reset_ms = 1e3 * our_resetting / max(our_resets, 1)
    their_reset_ms = 1e3 * their_resetting / max(their_resets, 1)
    table.append(f"| reset time (ms), random starts | mean of {our_resets:,} / {their_resets:,} resets | "
                 f"{our_reset_ms:.2f} | {their_reset_ms:.1f} | {their_reset_ms / our_reset_ms:.0f}x |")
    lines = [
        f"- the expert (TrackingMPC, defaults: {expert.info['samples']} samples x {expert.info['horizon']} control "
        f"steps) took {1e3 * expert_seconds / len(expert_actions):.0f} ms per control step on "
        f"{expert.threads} threads, env step included; it tracked {len(expert_actions)} steps, normalized episode "
        f"length {episode['metrics']['normalized_episode_length']:.3f}",
        f"- random actions: episodes of {random_steps / max(our_resets, 1):.1f} steps on average (envsuite), "
        f"{random_steps / max(their_resets, 1):.1f} (dm_control)",
    ]
    command = "python benchmarks/mocap.py" + (" --quick" if args.quick else "")
    section = "\n".join([
        "## MoCap tracking (issue 4)",
        "",
        f"Command: `{command}`. Run started {started}. Machine: {machine_description()}.",
        f"Same clip (CMU {CLIP}, steps {START}-{END}), same 24 observables, same actions in both envs.",
        "",
        *table,
        "",
        *lines,
    ])
    write_section(Path(args.out), "mocap", section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
