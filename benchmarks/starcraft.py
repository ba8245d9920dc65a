"""StarCraft micro-battle benchmark: env steps/s and image windows/s, in one process run.

    python benchmarks/starcraft.py [--quick]      (`make bench` runs it)

There is no anchor to run beside it here (SMAC and pysc2 need the game binary), so this reports
absolute figures against issue 5's bars (>= 10k env steps/s on 3m with vector observations in one
process; >= 1k windows/s):
1. the PettingZoo env on 3m and 3s5z with vector observations, and the gymnasium view with
   hyperspectral image observations, every agent taking a uniformly random allowed action (one numpy
   draw over the masks per step, included in the time), against the attack-nearest bot;
2. StarCraftImage windows/s: hyperspectral windows of simulated battles (battle_window), and of the
   four shared real replays through s2protocol (decoding included), if the replays are present.
Writes the "StarCraft" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
REPLAYS = REPO.parent / "shared" / "data" / "starcraft" / "replays"


def random_allowed(masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One uniformly random allowed action per row of an (agents, actions) 0/1 mask."""
    return np.argmax(rng.random(masks.shape) * masks, axis=1)


def parallel_steps_per_second(scenario: str, steps: int) -> float:
    from envsuite.starcraft.micro import StarCraftMicroParallelEnv

    env = StarCraftMicroParallelEnv(scenario)
    rng = np.random.default_rng(0)
    observations, _ = env.reset(seed=0)
    begin = time.perf_counter()
    for _ in range(steps):
        agents = env.agents
        masks = np.stack([observations[agent]["action_mask"] for agent in agents])
        chosen = random_allowed(masks, rng)
        observations, *_ = env.step({agent: int(chosen[i]) for i, agent in enumerate(agents)})
        if not env.agents:
            observations, _ = env.reset()
    return steps / (time.perf_counter() - begin)


def gym_steps_per_second(scenario: str, steps: int, image_format: str | None) -> float:
    from envsuite.starcraft.micro import StarCraftMicroEnv

    env = StarCraftMicroEnv(scenario, image_format=image_format)
    rng = np.random.default_rng(0)
    observation, _ = env.reset(seed=0)
    begin = time.perf_counter()
    for _ in range(steps):
        observation, _, terminated, truncated, _ = env.step(random_allowed(observation["action_mask"], rng))
        if terminated or truncated:
            observation, _ = env.reset()
    return steps / (time.perf_counter() - begin)


def battle_windows_per_second(windows: int) -> float:
    from envsuite.starcraft import images
    from envsuite.starcraft.bots import attack_nearest, focus_fire
    from envsuite.starcraft.simulator import Battle

    battle = Battle("3s5z")
    made = 0
    begin = time.perf_counter()
    while made < windows:
        battle.reset()
        while battle.winner() is None and made < windows:
            focus_fire(battle, 0)
            attack_nearest(battle, 1)
            battle.step(255)  # one window of game loops, then its image
            images.battle_window(battle)
            made += 1
    return made / (time.perf_counter() - begin)


def replay_windows_per_second() -> tuple[float, int] | None:
    from envsuite.starcraft.replay import replay_windows

    replays = sorted(REPLAYS.glob("*.SC2Replay")) if REPLAYS.is_dir() else []
    if not replays:
        return None
    replay_windows(replays[0])  # compile the kernel outside the timing
    begin = time.perf_counter()
    count = sum(len(replay_windows(path)[1]) for path in replays)
    return count / (time.perf_counter() - begin), count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (a smoke run; not the published figures)")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "RESULTS.md"))
    args = parser.parse_args(argv)
    steps = 2_000 if args.quick else 20_000
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    from benchmarks.results import machine_description, write_section

    for warm in ("3m", "3s5z"):  # compile the numba kernels outside the timings
        parallel_steps_per_second(warm, 50)
        gym_steps_per_second(warm, 50, "hyperspectral")
    battle_windows_per_second(5)

    rows = [
        ("PettingZoo env, 3m, vector observations", f"{steps:,} steps", parallel_steps_per_second("3m", steps), "steps/s"),
        ("PettingZoo env, 3s5z, vector observations", f"{steps:,} steps", parallel_steps_per_second("3s5z", steps), "steps/s"),
        ("gymnasium view, 3m, vector observations", f"{steps:,} steps", gym_steps_per_second("3m", steps, None), "steps/s"),
        ("gymnasium view, 3m, + hyperspectral image", f"{steps // 4:,} steps",
         gym_steps_per_second("3m", steps // 4, "hyperspectral"), "steps/s"),
        ("gymnasium view, 3s5z, + hyperspectral image", f"{steps // 4:,} steps",
         gym_steps_per_second("3s5z", steps // 4, "hyperspectral"), "steps/s"),
        ("simulated battle windows (3s5z, 255 loops each)", f"{steps // 10:,} windows",
         battle_windows_per_second(steps // 10), "windows/s"),
    ]
    replay = replay_windows_per_second()
    if replay is not None:
        rows.append(("real replay windows (4 shared replays, s2protocol decoding included)", f"{replay[1]} windows",
                     replay[0], "windows/s"))
    table = ["| work | size | result |", "|---|---|---|"]
    table += [f"| {name} | {size} | {value:,.0f} {unit} |" for name, size, value, unit in rows]
    command = "python benchmarks/starcraft.py" + (" --quick" if args.quick else "")
    section = "\n".join([
        "## StarCraft micro battles (issue 5)",
        "",
        f"Command: `{command}`. Run started {started}. Machine: {machine_description()}.",
        "One process; random allowed actions against the attack-nearest bot. No anchor runs here (SMAC and",
        "pysc2 need the game), so these are absolute figures.",
        "",
        *table,
    ])
    write_section(Path(args.out), "starcraft", section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
