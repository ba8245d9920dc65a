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
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from datagen.recipes import EpisodePlan, Recipe, RecipeError, env_episode_seed, episode_rng
from envsuite.policies.rollout import Trajectory, stack


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


_worker_envs: dict[str, Any] = {}


def make_env(recipe: Recipe):
    key = json.dumps([recipe.env_id, recipe.env_kwargs], sort_keys=True)
    if key not in _worker_envs:
        _worker_envs.clear()
        _worker_envs[key] = recipe.make_env().unwrapped
    return _worker_envs[key]


def rollout_starcraft_shard(recipe: Recipe, shard_index: int) -> list[tuple[int, Trajectory]]:
    """The episodes of one shard, in order, as (policy index, trajectory with infos)."""
    from envsuite.starcraft.policies import bot_actions, random_actions

    env = make_env(recipe)
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
        length = len(rewards)
        terminals = np.zeros(length, dtype=bool)
        timeouts = np.zeros(length, dtype=bool)
        terminals[-1], timeouts[-1] = terminated, not terminated
        episodes.append((policy_index, Trajectory(
            observations=stack(observations), actions=np.stack(actions), rewards=np.asarray(rewards, dtype=np.float64),
            terminals=terminals, timeouts=timeouts, final_observation=observation, seed=env_seed,
            infos={"agents_alive": np.stack(alive), "won": np.asarray(won, dtype=bool)})))
    return episodes
