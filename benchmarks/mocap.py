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

Then the policies at scale (issue 17), on one thread (BLAS limited to one thread before numpy loads),
each beside dm_control's env doing the same work in this run:
4. the expert before (TrackingMPC's defaults, 16 samples) and after (4 samples, the datasets' planner):
   control steps/s from the clip's start, and what one expert step costs in dm_control env steps;
5. the multi-clip policy in the loop (assets/mocap/multiclip_policy.npz): env steps/s of policy + env
   from random starts, in envsuite's env and in dm_control's (its observation flattened to MoCapAct's
   layout, which is what the policy reads);
6. dataset generation: `generate` of the student recipe on the same snippet without expert labels,
   1 and 2 worker processes, HDF5 file written, against the dm_control loop of 5 (one process, nothing
   written).
Writes the "MoCap policies at scale" section.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # before numpy loads: the policy's matrix products on one core (issue 17's bar)
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
    scale = policies_at_scale_section(args.quick, command, snippet, replay_env, replay_theirs, expert_actions)
    write_section(Path(args.out), "mocap-scale", scale)
    print(scale)
    return 0


def flat_dm_observation(observation, names) -> np.ndarray:
    """dm_control's observation dict in MoCapAct's flat layout (the observables in envsuite's order)."""
    return np.concatenate([np.asarray(observation[name], dtype=np.float32).reshape(-1) for name in names])


def policy_loop(reset, step, policy, steps: int) -> tuple[float, int]:
    """(seconds, episodes) for `steps` env steps with the policy choosing every action from the observation."""
    observation = reset()
    episodes = 0
    begin = time.perf_counter()
    for _ in range(steps):
        observation, done = step(policy.act(observation[None])[0])
        if done:
            observation = reset()
            episodes += 1
    return time.perf_counter() - begin, episodes


def policies_at_scale_section(quick, command, snippet, ours, theirs, expert_actions) -> str:
    """Rows 4-6 of the module docstring, as a RESULTS.md section."""
    import dataclasses
    import tempfile

    from datagen.generate import generate
    from datagen.recipes import load_recipe
    from envsuite.mocap.expert import TrackingMPC, run_episode
    from envsuite.mocap.multiclip import multiclip_policy
    from envsuite.mocap.tracking import CMUHumanoidTrackingEnv

    # dm_control's env step on the expert's actions: the unit an expert step is counted in
    theirs.reset()
    begin = time.perf_counter()
    for action in expert_actions:
        theirs.step(action)
    dm_step = (time.perf_counter() - begin) / len(expert_actions)
    rows = []
    for label, planner in (("before: defaults, 16 samples", {}), ("after: 4 samples", {"samples": 4})):
        expert = TrackingMPC(**dict(planner, threads=1))
        begin = time.perf_counter()
        episode = run_episode(ours, expert, np.random.default_rng(1), options={"start_step": START})
        per_step = (time.perf_counter() - begin) / len(episode["rewards"])
        rows.append((f"expert control steps/s, {label}",
                     f"{len(episode['rewards'])} steps from the clip's start, normalized episode length "
                     f"{episode['metrics']['normalized_episode_length']:.2f}; one step = {per_step / dm_step:.0f} "
                     "dm_control env steps", 1.0 / per_step, 1.0 / dm_step, "dm_control env steps/s, same actions"))
    before, after = rows[0][2], rows[1][2]

    policy = multiclip_policy()
    steps = 2000 if quick else 20000
    random_start = CMUHumanoidTrackingEnv(snippets=[snippet], start_mode="random-start")
    rng = np.random.default_rng(0)
    random_start.reset(seed=0)

    def our_step(action):
        observation, _, terminated, truncated, _ = random_start.step(action)
        return observation, terminated or truncated

    from envsuite.mocap.convert import library_path
    from envsuite.mocap.oracle import dm_control_tracking

    dm_random, _ = dm_control_tracking(library_path(), CLIP, START, END, always_init_at_clip_start=False, seed=0)
    names = list(random_start.observable_indices)

    def their_reset():
        return flat_dm_observation(dm_random.reset().observation, names)

    def their_step(action):
        time_step = dm_random.step(action.astype(np.float64))
        return flat_dm_observation(time_step.observation, names), time_step.last()

    our_seconds, our_episodes = policy_loop(lambda: random_start.reset(seed=int(rng.integers(2**31)))[0], our_step,
                                            policy, steps)
    their_seconds, their_episodes = policy_loop(their_reset, their_step, policy, steps)
    rows.append(("multi-clip policy in the loop, env steps/s (one core)",
                 f"{steps:,} steps from random starts, resets included; episodes of {steps / max(our_episodes, 1):.0f} "
                 f"/ {steps / max(their_episodes, 1):.0f} steps", steps / our_seconds, steps / their_seconds,
                 "the same policy on dm_control's env"))

    recipe = load_recipe("mocap/locomotion_small-student-v0")
    recipe = dataclasses.replace(recipe, env_kwargs={"snippets": [snippet], "ref_steps": recipe.env_kwargs["ref_steps"]},
                                 policies=(dict(recipe.policies[0], label_every=0),))
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as folder:
            begin = time.perf_counter()
            generate(recipe, str(steps), out=folder, workers=workers, progress=False)
            seconds = time.perf_counter() - begin
        rows.append((f"student dataset generation steps/s, {workers} worker{'s' * (workers > 1)}",
                     f"`generate` of {steps:,} steps (worker start-up and the HDF5 file included)",
                     steps / seconds, steps / their_seconds, "the dm_control policy loop above, one process"))

    table = ["| measure | work | envsuite | dm_control | anchor | ratio |", "|---|---|---|---|---|---|"]
    for name, work, mine, anchor, anchor_name in rows:
        table.append(f"| {name} | {work} | {mine:,.1f} | {anchor:,.0f} | {anchor_name} | {mine / anchor:.3g}x |")
    return "\n".join([
        "## MoCap policies at scale (issue 17)",
        "",
        f"Command: `{command}` (after the section above). One thread for the planner and for the policy's "
        f"matrix products. Clip CMU {CLIP} steps {START}-{END}.",
        "",
        *table,
        "",
        f"- the expert: {after / before:.1f}x the control steps/s of the defaults (the issue's bar is 10x)",
    ])


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
