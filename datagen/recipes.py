"""Dataset recipes: TOML files under datagen/recipes/<family>/<name>-vN.toml, one per dataset id.

A recipe names the env, the behaviour policies and how episodes pick among them, the sizes and the
seed. Loading one gives a `Recipe`; `Recipe.episode_plan()` turns it into an `EpisodePlan`, which says
for every episode index i which policy acts and which env seed resets it. Everything about episode i
is derived from (recipe seed, i) or from a committed asset, so a dataset's content does not depend on
worker count, shard scheduling or backend.

Policy entries (`[[policies]]`):
  kind = "random"                               uniform actions
  kind = "linear", asset = "locomotion/x.npz"   envsuite.policies.LinearPolicy
  kind = "mlp", asset = "locomotion/x.npz"      envsuite.policies.mlp.MLPPolicy (deterministic)
  noise_sigma = 0.1 (optional)                  wraps in Noisy
  weight = 0.5 (optional)                       per-episode choice probability
MoCap recipes (family "mocap") have one `kind = "tracking_mpc"` entry and an `[env_kwargs]` table
passed to the env; their plan is datagen.mocap.MocapPlan. A family that rolls out its own episodes
(MoCap, StarCraft, Android) is found through the registry datagen/families.py (its plan, shard function
and spaces) and adds its attributes and metrics through the EpisodePlan hooks; recipes.py, generate.py
and runner.py import no family.
Android recipes (family "android") have `kind = "android_expert"` entries with an `epsilon` (the
chance of a random UI action instead of the expert's) and `[env_kwargs]` task_set; their plan is
datagen.android.AndroidPlan.
Replay recipes (`source = "training_record"`, `record = "locomotion/x_training_record.npz"`) replay
every training rollout of an ARS or PPO record in training order instead (D4RL medium-replay).
"""

from __future__ import annotations

import abc
import difflib
import hashlib
import json
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from datagen.families import family_plan
from envsuite import paths
from envsuite.policies import LinearPolicy, Noisy, Policy, UniformRandomPolicy
from envsuite.policies.mlp import MLPPolicy

RECIPES_DIR = Path(__file__).resolve().parent / "recipes"
SIZES = ("small", "full")


class RecipeError(ValueError):
    """A recipe is unknown or malformed."""


def recipe_ids() -> list[str]:
    return sorted(str(p.relative_to(RECIPES_DIR).with_suffix("")) for p in RECIPES_DIR.glob("*/*.toml"))


def load_recipe(dataset_id: str) -> "Recipe":
    """The packaged recipe of a dataset id. The id is checked against the catalogue's grammar before
    any path is built from it, and the file must lie inside RECIPES_DIR and name the same id."""
    def unknown() -> RecipeError:
        close = difflib.get_close_matches(str(dataset_id), recipe_ids(), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        return RecipeError(f"unknown dataset id {dataset_id!r}.{hint} `envsuite-datagen list` shows them all.")

    try:
        paths.check_dataset_id(dataset_id)
    except paths.InvalidIdError:
        raise unknown() from None
    path = RECIPES_DIR / f"{dataset_id}.toml"
    if not path.is_file():
        raise unknown()
    try:
        paths.inside(RECIPES_DIR, path, "recipe")
    except paths.InvalidIdError as error:
        raise RecipeError(str(error)) from None
    with open(path, "rb") as f:
        data = tomllib.load(f)
    recipe = Recipe.from_dict(data, source=path)
    if recipe.dataset_id != dataset_id:
        raise RecipeError(f"{path}: its dataset_id {recipe.dataset_id!r} is not its file's id {dataset_id!r}")
    return recipe


def env_episode_seed(recipe_seed: int, episode_index: int) -> int:
    """Env reset seed of episode i: a function of (recipe seed, i) alone."""
    return int(np.random.SeedSequence([recipe_seed, episode_index]).generate_state(1)[0])


def episode_policy_rng(recipe_seed: int, episode_index: int) -> np.random.Generator:
    return np.random.default_rng([recipe_seed, episode_index, 1])


def episode_rng(recipe_seed: int, episode_index: int) -> np.random.Generator:
    """Randomness of the policy in episode i (action noise): a function of (recipe seed, i) alone."""
    return np.random.default_rng([recipe_seed, episode_index, 2])


@dataclass(frozen=True)
class Recipe:
    dataset_id: str
    family: str
    env_id: str
    seed: int
    sizes: dict[str, int]
    episodes_per_shard: int
    observation_dtype: str | None
    policies: tuple[dict[str, Any], ...]
    source: str  # "policies", "training_record" or "bot_battles" (StarCraft image windows)
    record: str | None
    description: str
    path: str
    env_kwargs: dict[str, Any] = None  # keyword arguments of gymnasium.make(env_id, ...); None = {}
    # The size budget of the dataset being generated (set by datagen.generate). Only replay plans use
    # it: they spread a budget smaller than the record evenly over training (see ReplayPlan).
    budget_steps: int | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: Path) -> "Recipe":
        def need(key):
            if key not in data:
                raise RecipeError(f"{source}: recipe lacks the key {key!r}")
            return data[key]

        sizes = dict(need("sizes"))
        if set(sizes) != set(SIZES) or not all(isinstance(v, int) and v > 0 for v in sizes.values()):
            raise RecipeError(f"{source}: [sizes] must give positive integer 'small' and 'full' step counts")
        kind = data.get("source", "policies")
        policies = tuple(data.get("policies", ()))
        if kind == "policies" and not policies and data.get("family") != "starcraft":
            raise RecipeError(f"{source}: a recipe needs at least one [[policies]] entry")
        if kind not in ("policies", "training_record", "bot_battles"):
            raise RecipeError(f"{source}: unknown source {kind!r}")
        # a recipe names only catalogue ids, registered envs and assets inside the package: never a
        # path outside --out, a 'module:Entry' env (gymnasium would import the module) or a file elsewhere
        from envsuite.registry import check_env_id

        try:
            paths.check_dataset_id(need("dataset_id"))
            check_env_id(need("env_id"), envsuite_only=True)
            for name in [p.get("asset") for p in policies if p.get("asset")] + ([data["record"]] if data.get("record") else []):
                paths.asset_path(*str(name).split("/"))
        except paths.InvalidIdError as error:
            raise RecipeError(f"{source}: {error}") from None
        except FileNotFoundError:
            pass  # a missing asset is reported where it is read, with the command that makes it
        return cls(
            dataset_id=need("dataset_id"), family=need("family"), env_id=need("env_id"), seed=int(need("seed")),
            sizes=sizes, episodes_per_shard=int(data.get("episodes_per_shard", 16)),
            observation_dtype=data.get("observation_dtype"), policies=policies, source=kind,
            record=data.get("record"), description=data.get("description", ""), path=str(source),
            env_kwargs=dict(data.get("env_kwargs", {})),
        )

    def to_json(self) -> dict[str, Any]:
        """What goes into the dataset's `recipe` attribute (provenance), without local paths."""
        return {
            "dataset_id": self.dataset_id, "family": self.family, "env_id": self.env_id, "seed": self.seed,
            "sizes": self.sizes, "episodes_per_shard": self.episodes_per_shard,
            "observation_dtype": self.observation_dtype, "policies": list(self.policies), "source": self.source,
            "record": self.record, "description": self.description, "env_kwargs": self.env_kwargs or {},
        }

    def plan_json(self) -> dict[str, Any]:
        """Everything that determines which episodes the plan holds and how they are rolled out.

        The size does not matter for generated plans (episode i is the same in any size, so shards are
        reusable across sizes); for replay plans it picks the stride through the record.
        """
        content = {k: v for k, v in self.to_json().items() if k != "sizes"}
        if self.source == "training_record":
            content["budget_steps"] = self.budget_steps
        return content

    def content_key(self) -> str:
        """Hash of the plan and of the assets it reads (a retrained policy invalidates old shards)."""
        content = self.plan_json()
        assets = [p.get("asset") for p in self.policies if p.get("asset")] + ([self.record] if self.record else [])
        content["asset_sha256"] = {a: hashlib.sha256(paths.asset_path(*a.split("/")).read_bytes()).hexdigest() for a in assets}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]

    def family_rollout(self):
        """The family's own shard function (recipe, shard index) -> [(policy index, trajectory)], or None
        for the generic batched rollout of policies on observations (datagen/runner.py)."""
        plan = family_plan(self)
        return plan.rollout_shard if plan is not None else None

    def spaces(self):
        """(observation space, action space, gymnasium spec JSON or None) of the dataset."""
        plan = family_plan(self)
        if plan is not None and plan.spaces is not None:  # StarCraft image windows: no agent acts
            return (*plan.spaces(), None)
        probe = self.make_env()
        try:
            return probe.observation_space, probe.action_space, probe.spec.to_json() if probe.spec is not None else None
        finally:
            probe.close()

    def make_env(self):
        """A gymnasium env of this recipe (env_id with env_kwargs; for image-window recipes, the
        battle's scenario)."""
        import gymnasium

        import envsuite  # noqa: F401

        return gymnasium.make(self.env_id, **(self.env_kwargs or {}))

    def episode_plan(self, action_space) -> "EpisodePlan":
        plan = family_plan(self)
        if plan is not None:
            return plan.episode_plan(self)
        if self.source == "training_record":
            return ReplayPlan(self)
        return PolicyPlan(self, action_space)


_process_envs: dict[str, Any] = {}


def cached_env(recipe: "Recipe"):
    """The recipe's env (unwrapped), made once per process and (env id, env kwargs): the family shard
    functions (datagen/mocap.py, datagen/starcraft.py) reuse it across shards."""
    key = json.dumps([recipe.env_id, recipe.env_kwargs], sort_keys=True)
    if key not in _process_envs:
        _process_envs.clear()
        _process_envs[key] = recipe.make_env().unwrapped
    return _process_envs[key]


class EpisodePlan(abc.ABC):
    """Which policy runs episode i and which env seed resets it."""

    policy_names: list[str]
    num_episodes: int | None  # None: unbounded (generated until the size budget is reached)

    @abc.abstractmethod
    def episode(self, index: int) -> tuple[int, Policy, int]:
        """(policy index into policy_names, the policy object, env seed) of episode `index`."""

    @abc.abstractmethod
    def describe_policies(self) -> list[dict[str, Any]]:
        """JSON-able descriptions of the policies, for the dataset's provenance attributes."""

    # Hooks a family's plan overrides (datagen/mocap.py, datagen/starcraft.py); the defaults add nothing.

    def dataset_attributes(self) -> dict[str, Any]:
        """Extra JSON-able root attributes of the dataset (MoCap: observable_indices, ...)."""
        return {}

    def episode_summary(self, trajectory, episode_return: float):
        """What the family's metrics need of one written episode (None: nothing)."""
        return None

    def family_metrics(self, summaries: list) -> dict[str, Any]:
        """The family's dataset metrics from the summaries of the complete episodes."""
        return {}


class PolicyPlan(EpisodePlan):
    """Episodes from a fixed set of behaviour policies; episode i picks one with the recipe weights."""

    def __init__(self, recipe: Recipe, action_space):
        self.recipe = recipe
        self.policies = [_build_policy(entry, action_space, recipe) for entry in recipe.policies]
        self.policy_names = [p.name for p in self.policies]
        weights = np.asarray([float(entry.get("weight", 1.0)) for entry in recipe.policies])
        if np.any(weights < 0) or weights.sum() <= 0:
            raise RecipeError(f"{recipe.path}: policy weights must be >= 0 with a positive sum")
        self.weights = weights / weights.sum()
        self.num_episodes = None

    def episode(self, index):
        if len(self.policies) == 1:
            choice = 0
        else:
            choice = int(episode_policy_rng(self.recipe.seed, index).choice(len(self.policies), p=self.weights))
        return choice, self.policies[choice], env_episode_seed(self.recipe.seed, index)

    def describe_policies(self):
        return [p.describe() for p in self.policies]


class ReplayPlan(EpisodePlan):
    """The training rollouts of an ARS or PPO record, in training order (D4RL's medium-replay).

    All of them when they fit the size budget; otherwise every k-th rollout, with the smallest
    stride k whose rollouts fit, so that a smaller dataset still spans the whole of training up to
    the medium checkpoint instead of holding only its first iterations.
    """

    def __init__(self, recipe: Recipe):
        from training.locomotion.experts import record_rollout_lengths, replay_policies

        if not recipe.record:
            raise RecipeError(f"{recipe.path}: source 'training_record' needs record = '<asset path>'")
        self.recipe = recipe
        self.record_path = paths.asset_path(*recipe.record.split("/"))
        rollouts = replay_policies(self.record_path)
        lengths = record_rollout_lengths(self.record_path)
        self.stride = replay_stride(lengths, recipe.budget_steps)
        self.rollouts = rollouts[:: self.stride]
        self.record_rollouts = len(rollouts)
        self.policy_names = ["training-rollouts"]
        self.num_episodes = len(self.rollouts)

    def episode(self, index):
        _, _, policy, env_seed = self.rollouts[index]
        return 0, policy, env_seed

    def describe_policies(self):
        return [{"name": "training-rollouts", "type": "training record", "record": self.recipe.record,
                 "record_rollouts": self.record_rollouts, "stride": self.stride, "rollouts": self.num_episodes}]


def replay_stride(lengths: np.ndarray, budget_steps: int | None) -> int:
    """Smallest k such that every k-th rollout (starting with the first) fits in the budget.

    If even the first rollout alone is longer than the budget, k = len(lengths) (one rollout, which
    the generator then cuts at the budget).
    """
    if budget_steps is None or int(lengths.sum()) <= budget_steps:
        return 1
    stride = 1  # counted up from 1: the sum of every k-th length is not monotonic in k
    while stride < len(lengths) and int(lengths[::stride].sum()) > budget_steps:
        stride += 1
    return stride


def _build_policy(entry: dict[str, Any], action_space, recipe: Recipe) -> Policy:
    kind = entry.get("kind")
    if kind == "random":
        policy: Policy = UniformRandomPolicy(action_space, name=entry.get("name", "random"))
    elif kind in ("linear", "mlp"):
        if "asset" not in entry:
            raise RecipeError(f"{recipe.path}: a {kind} policy needs asset = '<family>/<file>.npz'")
        policy_class = LinearPolicy if kind == "linear" else MLPPolicy
        policy = policy_class.load(paths.asset_path(*entry["asset"].split("/")))
        if "name" in entry:
            policy.name = entry["name"]
    else:
        raise RecipeError(f"{recipe.path}: unknown policy kind {kind!r} (random, linear, mlp)")
    sigma = float(entry.get("noise_sigma", 0.0))
    if sigma > 0:
        policy = Noisy(policy, sigma, action_space, name=f"{policy.name}+noise{sigma:g}")
    return policy
