"""StarCraft micro-battle datasets: multi-agent episodes of a scenario under a behaviour policy.

Where it sits: datagen's StarCraft family plan and shard function (datagen -> envsuite.starcraft).
The local runner (datagen/runner.py) calls `rollout_starcraft_shard` for recipes of family
"starcraft"; datagen/generate.py writes the episodes and the win-rate metrics.

Episode i (from (recipe seed, i) alone): the gymnasium view `envsuite/StarCraftMicro-<scenario>-v0`
reset with env_episode_seed(seed, i), the allies acting by the recipe's policy
(envsuite.starcraft.policies: a scripted bot translated into the agents' actions, or uniformly random
allowed actions) with randomness from episode_rng(seed, i), against the env's enemy bot.
Stored per step, with a leading agent axis (DESIGN.md section 3): observations/observation
(agents, D), observations/action_mask (agents, actions) int8, observations/state (S,), actions
(agents,) int64, rewards (the team reward), infos/agents_alive (agents,) bool, infos/won (bool, on a
won episode's last step).

Recipe keys: one `[[policies]]` entry, `kind = "bot"` with `bot = "focus-fire"` (or attack-nearest,
kite, random) or `kind = "random_allowed"`; `[env_kwargs]` with scenario / enemy_bot.

Image-window datasets (`source = "bot_battles"`, `starcraft/<scenario>-windows-v0`): episode i is a
battle of the scenario (start positions jittered by up to 1 map unit) between two bots drawn from
(seed, i), re-deciding every 5 game loops; each step is one 255-loop window, observed in the three
StarCraftImage formats (hyperspectral, rgb, grayscale). Actions: the two bots' indices into
WINDOW_BOTS. Reward: (damage dealt by the allies - by the enemies) over the window, over the
armies' total health. infos: label = 2 x (the scenario's index in sorted order) + phase (0 in the
battle's first half, 1 in its second; the first window is always 0, so a battle of one window is its
own beginning: StarCraftImage's map x beginning/end labels, 14 classes over the seven scenarios),
phase, winner (1 allies, 2 enemies, 0 none), window_index, first_game_loop.
"""

from __future__ import annotations

import numpy as np

from datagen.families import FamilyPlan
from datagen.recipes import EpisodePlan, Recipe, RecipeError, cached_env, env_episode_seed, episode_rng
from envsuite.policies.rollout import Trajectory, end_flags, stack


class StarCraftPlan(EpisodePlan):
    """The recipe's one behaviour policy for every episode."""

    def __init__(self, recipe: Recipe):
        from envsuite.starcraft.bots import BOTS

        if len(recipe.policies) != 1:
            raise RecipeError(f"{recipe.path}: a starcraft recipe has one [[policies]] entry")
        entry = recipe.policies[0]
        kind = entry.get("kind")
        if kind == "bot":
            if entry.get("bot") not in BOTS:
                raise RecipeError(f"{recipe.path}: bot must be one of {sorted(BOTS)}, got {entry.get('bot')!r}")
        elif kind != "random_allowed":
            raise RecipeError(f"{recipe.path}: starcraft policy kind must be 'bot' or 'random_allowed', got {kind!r}")
        self.recipe, self.entry = recipe, entry
        self.name = entry.get("name", entry.get("bot", "random-allowed"))
        self.policy_names = [self.name]
        self.num_episodes = None

    def episode(self, index):
        return 0, self.entry, env_episode_seed(self.recipe.seed, index)

    def describe_policies(self):
        return [{"name": self.name, **self.entry}]

    def episode_summary(self, trajectory, episode_return):
        return bool(trajectory.infos["won"][-1])

    def family_metrics(self, summaries):
        return {"win_rate": float(np.mean(summaries))} if summaries else {}


def rollout_starcraft_shard(recipe: Recipe, shard_index: int) -> list[tuple[int, Trajectory]]:
    """The episodes of one shard, in order, as (policy index, trajectory with infos)."""
    from envsuite.starcraft.policies import bot_actions, random_actions

    env = cached_env(recipe)
    plan = StarCraftPlan(recipe)
    first = shard_index * recipe.episodes_per_shard
    episodes = []
    for index in range(first, first + recipe.episodes_per_shard):
        policy_index, entry, env_seed = plan.episode(index)
        rng = episode_rng(recipe.seed, index)
        observation, info = env.reset(seed=env_seed)
        observations, actions, rewards, alive, won = [observation], [], [], [], []
        while True:
            if entry["kind"] == "bot":
                action = bot_actions(env, entry["bot"], rng)
            else:
                action = random_actions(observation["action_mask"], rng)
            alive.append(env.parallel.battle.allies_alive.copy())
            observation, reward, terminated, truncated, info = env.step(action)
            actions.append(action)
            rewards.append(reward)
            won.append(bool(info["won"]) and terminated)
            if terminated or truncated:
                break
            observations.append(observation)
        terminals, timeouts = end_flags(len(rewards), terminated)
        episodes.append((policy_index, Trajectory(
            observations=stack(observations), actions=np.stack(actions), rewards=np.asarray(rewards, dtype=np.float64),
            terminals=terminals, timeouts=timeouts, final_observation=observation, seed=env_seed,
            infos={"agents_alive": np.stack(alive), "won": np.asarray(won, dtype=bool)})))
    return episodes


# --- image-window datasets of bot-vs-bot battles --------------------------------------------------

WINDOW_BOTS = ("attack-nearest", "focus-fire", "kite", "random")
LOOPS_PER_DECISION = 5  # bots re-decide every 5 game loops: 51 decisions per 255-loop window
SPAWN_JITTER = 1.0  # start positions vary per battle (the built-in scenarios start the same every time)


def window_spaces():
    """Observation and action spaces of a window dataset: the three StarCraftImage formats; the two bots."""
    from gymnasium import spaces

    from envsuite.starcraft.images import FORMAT_SHAPES

    observation = spaces.Dict({name: spaces.Box(0, 255, shape, dtype=np.uint8) for name, shape in FORMAT_SHAPES.items()})
    return observation, spaces.MultiDiscrete([len(WINDOW_BOTS), len(WINDOW_BOTS)])


class WindowPlan(EpisodePlan):
    """Episode i: one battle of the recipe's scenario between two bots drawn from (seed, i)."""

    def __init__(self, recipe: Recipe):
        from envsuite.starcraft.scenarios import SCENARIOS

        scenario = recipe.env_kwargs.get("scenario")
        if scenario not in SCENARIOS:
            raise RecipeError(f"{recipe.path}: [env_kwargs] scenario must be one of {sorted(SCENARIOS)}")
        self.recipe, self.scenario_name = recipe, scenario
        self.scenario_index = sorted(SCENARIOS).index(scenario)  # the label's scenario number
        self.policy_names = ["bot-vs-bot"]
        self.num_episodes = None

    def bots(self, index: int) -> tuple[int, int]:
        rng = np.random.default_rng([self.recipe.seed, index, 4])
        return int(rng.integers(len(WINDOW_BOTS))), int(rng.integers(len(WINDOW_BOTS)))

    def episode(self, index):
        return 0, self.bots(index), env_episode_seed(self.recipe.seed, index)

    def describe_policies(self):
        return [{"name": "bot-vs-bot", "bots": list(WINDOW_BOTS), "loops_per_decision": LOOPS_PER_DECISION,
                 "spawn_jitter": SPAWN_JITTER}]


def rollout_window_shard(recipe: Recipe, shard_index: int) -> list[tuple[int, Trajectory]]:
    """Battles of one shard as window episodes: one step per 255 game loops (see window_dataset docs)."""
    import dataclasses

    from envsuite.starcraft import images
    from envsuite.starcraft.bots import get_bot
    from envsuite.starcraft.scenarios import get_scenario
    from envsuite.starcraft.simulator import Battle

    plan = WindowPlan(recipe)
    scenario = dataclasses.replace(get_scenario(plan.scenario_name), spawn_jitter=SPAWN_JITTER)
    battle = Battle(scenario)
    total_health = float(battle.max_health().sum())
    loop_limit = scenario.episode_limit * 8
    first = shard_index * recipe.episodes_per_shard
    episodes = []
    for index in range(first, first + recipe.episodes_per_shard):
        _, (ally_bot, enemy_bot), seed = plan.episode(index)
        rng = np.random.default_rng(seed)
        battle.reset(rng)
        bots = (get_bot(WINDOW_BOTS[ally_bot]), get_bot(WINDOW_BOTS[enemy_bot]))
        windows, rewards, first_loops = [], [], []
        while battle.winner() is None and battle.game_loop < loop_limit:
            first_loops.append(battle.game_loop)
            advantage = 0.0
            for _ in range(images.WINDOW_FRAMES // LOOPS_PER_DECISION):
                bots[0](battle, 0, rng)
                bots[1](battle, 1, rng)
                outcome = battle.step(LOOPS_PER_DECISION)
                advantage += outcome.damage_dealt[0] - outcome.damage_dealt[1]
                if battle.winner() is not None:
                    break
            window = images.battle_window(battle)
            windows.append({name: images.in_format(window, name) for name in images.FORMAT_SHAPES})
            rewards.append(advantage / total_health)
        length = len(windows)
        winner = battle.winner()
        phase = (np.arange(length) + 0.5 >= length / 2).astype(np.int64)  # 0: beginning, 1: end of the battle
        phase[0] = 0  # the first window is the beginning, even of a battle of one window (as replay.phase_of)
        terminals, timeouts = end_flags(length, winner is not None)
        final = windows[-1]
        episodes.append((0, Trajectory(
            observations=stack(windows), actions=np.tile([ally_bot, enemy_bot], (length, 1)).astype(np.int64),
            rewards=np.asarray(rewards, dtype=np.float64), terminals=terminals, timeouts=timeouts,
            final_observation=final, seed=seed,
            infos={"label": plan.scenario_index * 2 + phase, "phase": phase,
                   # 1: allies (player 1) won, 2: enemies, 0: a draw or no winner by the loop limit
                   "winner": np.full(length, {0: 1, 1: 2}.get(winner, 0), dtype=np.int64),
                   "window_index": np.arange(length, dtype=np.int64),
                   "first_game_loop": np.asarray(first_loops, dtype=np.int64)})))
    return episodes


def family_plan(recipe: Recipe) -> FamilyPlan:
    """This family's entry in the registry (datagen/families.py): battles of agents, or image windows of
    bot battles (`source = "bot_battles"`, whose spaces are the dataset's, not an env's)."""
    if recipe.source == "bot_battles":
        return FamilyPlan(episode_plan=WindowPlan, rollout_shard=rollout_window_shard, spaces=window_spaces)
    return FamilyPlan(episode_plan=StarCraftPlan, rollout_shard=rollout_starcraft_shard)
