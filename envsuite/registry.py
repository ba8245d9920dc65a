"""The catalogue: every env id and dataset id envsuite offers, with family and reference scores.

`envsuite/__init__.py` calls `register_all()` on import, which registers each entry with
gymnasium. A new family adds its entries here (and a folder); nothing else changes. Dataset
recipes live in `datagen/recipes/<dataset id>.toml` (datagen depends on envsuite, never the
reverse); an entry here only names its dataset id.

Id scheme (DESIGN.md sections 2-3):
- plain envs:            envsuite/Hopper-v0
- envs with a dataset:   envsuite/hopper-medium-v0   (D4RL style, lower-case env name)
- datasets:              locomotion/hopper-medium-v0 (cache path <data dir>/locomotion/hopper-medium-v0.h5)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import gymnasium

from envsuite import paths

NAMESPACE = "envsuite"


@dataclass(frozen=True)
class EnvEntry:
    """One gymnasium-registered env id."""

    env_id: str
    family: str
    entry_point: str
    max_episode_steps: int | None
    kwargs: dict[str, Any] = field(default_factory=dict)
    dataset_id: str | None = None
    description: str = ""
    vector_entry_point: str | None = None  # a native batched implementation for gymnasium.make_vec
    probe_kwargs: dict[str, Any] = field(default_factory=dict)  # extra kwargs when catalog() makes it for its spaces


@dataclass(frozen=True)
class DatasetEntry:
    """One dataset: which env it belongs to and how it is normalised."""

    dataset_id: str
    family: str
    env_id: str  # the dataset-carrying env id, e.g. envsuite/hopper-medium-v0
    base_env_id: str  # the plain env id, e.g. envsuite/Hopper-v0
    kind: str
    ref_min_score: float | None
    ref_max_score: float | None
    description: str = ""


# --- locomotion -------------------------------------------------------------------------------

# short name -> (plain env name, entry point)
LOCOMOTION_ENVS = {
    "hopper": ("Hopper", "envsuite.locomotion.hopper:HopperEnv"),
    "halfcheetah": ("HalfCheetah", "envsuite.locomotion.half_cheetah:HalfCheetahEnv"),
    "walker2d": ("Walker2d", "envsuite.locomotion.walker2d:Walker2dEnv"),
    "ant": ("Ant", "envsuite.locomotion.ant:AntEnv"),
}

LOCOMOTION_DATASET_KINDS = {
    "random": "uniform random actions",
    "medium": "a policy trained to about a third of the expert's return",
    "expert": "the fully trained policy",
    "medium-replay": "every rollout of the policy's training up to the medium checkpoint",
    "medium-expert": "the medium and expert datasets, half each",
}


@lru_cache(maxsize=1)
def locomotion_reference_scores() -> dict[str, dict[str, float]]:
    """{env short name: {"random": R, "expert": R, ...}} from assets/locomotion/reference_scores.json.

    The file is written by `envsuite-datagen train-policy`; before it exists the scores are empty
    and `get_normalized_score` explains how to make them.
    """
    try:
        path = paths.asset_path("locomotion", "reference_scores.json")
    except FileNotFoundError:
        return {}
    with open(path) as f:
        return json.load(f)


def _locomotion_entries() -> tuple[list[EnvEntry], list[DatasetEntry]]:
    envs, datasets = [], []
    scores = locomotion_reference_scores()
    for short, (name, entry_point) in LOCOMOTION_ENVS.items():
        base_id = f"{NAMESPACE}/{name}-v0"
        vector = f"envsuite.locomotion.vector:make_{short}_vector_env"
        envs.append(EnvEntry(base_id, "locomotion", entry_point, 1000, description=f"gymnasium {name}-v5 dynamics",
                             vector_entry_point=vector))
        ref = scores.get(short, {})
        ref_min, ref_max = ref.get("random"), ref.get("expert")
        for kind, what in LOCOMOTION_DATASET_KINDS.items():
            dataset_id = f"locomotion/{short}-{kind}-v0"
            env_id = f"{NAMESPACE}/{short}-{kind}-v0"
            kwargs = {"dataset_id": dataset_id, "ref_min_score": ref_min, "ref_max_score": ref_max}
            envs.append(EnvEntry(env_id, "locomotion", entry_point, 1000, kwargs, dataset_id, f"{name}: {what}"))
            datasets.append(DatasetEntry(dataset_id, "locomotion", env_id, base_id, kind, ref_min, ref_max, f"{name}: {what}"))
    return envs, datasets


# --- mocap ------------------------------------------------------------------------------------


# clip -> (what it is, its snippets); the clips are those of the committed library assets/mocap/cmu_clips.h5
MOCAP_CLIPS = {
    "02_01": ("CMU 02_01 (walk)", ("02_01-0-95",)),
    "charleston1": ("CMU charleston1 (Charleston dance)", ("charleston1-0-132", "charleston1-99-140")),
}
# subsets of the shipped MoCap library (envsuite/mocap/library.py) with datasets, tracked snippet by snippet
MOCAP_SUBSETS = {
    "walk_tiny": "the MoCap library's walk_tiny subset (three CMU walks)",
    "locomotion_small": "the MoCap library's locomotion_small subset (every CMU walk and run clip)",
}
MOCAP_DATASET_KINDS = {
    "expert": "the tracking expert from snippet starts and random starts, no action noise",
    "noisy": "the tracking expert with action noise 0.1 (MoCapAct's act_noise)",
}


def _mocap_entries() -> tuple[list[EnvEntry], list[DatasetEntry]]:
    entry_point = "envsuite.mocap.tracking:CMUHumanoidTrackingEnv"
    base_id = f"{NAMESPACE}/CMUHumanoidTracking-v0"
    envs = [EnvEntry(base_id, "mocap", entry_point, None,
                     description="CMU humanoid (V2020) tracking CMU mocap clips, dm_control's comic reward")]
    datasets = []
    for clip, (what, snippets) in MOCAP_CLIPS.items():
        for kind, how in MOCAP_DATASET_KINDS.items():
            dataset_id = f"mocap/{clip}-{kind}-v0"
            env_id = f"{NAMESPACE}/mocap-{clip}-{kind}-v0"
            # No D4RL reference scores: MoCap data is judged by normalized episode length (metrics).
            kwargs = {"snippets": list(snippets), "dataset_id": dataset_id}
            envs.append(EnvEntry(env_id, "mocap", entry_point, None, kwargs, dataset_id, f"{what}: {how}"))
            datasets.append(DatasetEntry(dataset_id, "mocap", env_id, base_id, kind, None, None, f"{what}: {how}"))
    for subset, what in MOCAP_SUBSETS.items():
        for kind, how in MOCAP_DATASET_KINDS.items():
            dataset_id = f"mocap/{subset}-{kind}-v0"
            env_id = f"{NAMESPACE}/mocap-{subset}-{kind}-v0"
            kwargs = {"clips": subset, "dataset_id": dataset_id}
            envs.append(EnvEntry(env_id, "mocap", entry_point, None, kwargs, dataset_id, f"{what}: {how}"))
            datasets.append(DatasetEntry(dataset_id, "mocap", env_id, base_id, kind, None, None, f"{what}: {how}"))
    return envs, datasets


# --- starcraft --------------------------------------------------------------------------------


def _starcraft_entries() -> tuple[list[EnvEntry], list[DatasetEntry]]:
    from envsuite.starcraft.scenarios import SCENARIOS

    entry_point = "envsuite.starcraft.micro:StarCraftMicroEnv"
    envs = [EnvEntry(f"{NAMESPACE}/StarCraftMicro-{name}-v0", "starcraft", entry_point, None, {"scenario": name},
                     description=f"SMAC-style micro battle {name} against a scripted bot") for name in SCENARIOS]
    from envsuite.starcraft.pysc2_env import MINI_GAMES

    # the catalogue reads their spaces from pysc2's mock environment: the game need not be installed
    envs += [EnvEntry(f"{NAMESPACE}/SC2MiniGame-{game}-v0", "starcraft", "envsuite.starcraft.pysc2_env:SC2MiniGameEnv",
                      None, {"map_name": game}, description=f"pysc2 mini-game {game} (needs the game, or use_mock=True)",
                      probe_kwargs={"use_mock": True})
             for game in MINI_GAMES]
    datasets = []
    for name in SCENARIOS:
        for kind, how in STARCRAFT_DATASET_KINDS.items():
            dataset_id, env_id = f"starcraft/{name}-{kind}-v0", f"{NAMESPACE}/starcraft-{name}-{kind}-v0"
            what = f"{name}: {how}"
            envs.append(EnvEntry(env_id, "starcraft", entry_point, None, {"scenario": name, "dataset_id": dataset_id},
                                 dataset_id, what))
            datasets.append(DatasetEntry(dataset_id, "starcraft", env_id, f"{NAMESPACE}/StarCraftMicro-{name}-v0", kind,
                                         None, None, what))
    return envs, datasets


STARCRAFT_DATASET_KINDS = {
    "focus-fire": "the allies act by the focus-fire bot against the attack-nearest bot",
    "random": "the allies take uniformly random allowed actions against the attack-nearest bot",
    "windows": "StarCraftImage-style image windows (255 game loops each) of bot-vs-bot battles",
}


# --- android ----------------------------------------------------------------------------------

ANDROID_TASK_SETS = {"General": ("general", "DigiRL's General instructions"),
                     "WebShop": ("webshop", "DigiRL's Web Shopping instructions")}
ANDROID_DATASETS = {  # dataset id -> (task set, kind, what it holds)
    "android/general-expert-v0": ("General", "expert", "the scripted expert on every General instruction"),
    "android/webshop-mixed-v0": ("WebShop", "mixed",
                                 "the scripted expert mixed with random actions on the Web Shopping instructions"),
}


def _android_entries() -> tuple[list[EnvEntry], list[DatasetEntry]]:
    entry_point = "envsuite.android.env:AndroidStubEnv"
    envs = [EnvEntry(f"{NAMESPACE}/AndroidStub-{name}-v0", "android", entry_point, None, {"task_set": task_set},
                     description=f"an emulator-free phone given {what}, AitW actions")
            for name, (task_set, what) in ANDROID_TASK_SETS.items()]
    datasets = []
    for dataset_id, (name, kind, what) in ANDROID_DATASETS.items():
        env_id = f"{NAMESPACE}/{dataset_id.replace('/', '-')}"
        task_set = ANDROID_TASK_SETS[name][0]
        envs.append(EnvEntry(env_id, "android", entry_point, None, {"task_set": task_set, "dataset_id": dataset_id},
                             dataset_id, what))
        datasets.append(DatasetEntry(dataset_id, "android", env_id, f"{NAMESPACE}/AndroidStub-{name}-v0", kind,
                                     None, None, what))
    return envs, datasets


# --- the catalogue ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _entries() -> tuple[tuple[EnvEntry, ...], tuple[DatasetEntry, ...]]:
    envs, datasets = [], []
    for family_entries in (_locomotion_entries, _mocap_entries, _starcraft_entries, _android_entries):
        family_envs, family_datasets = family_entries()
        envs += family_envs
        datasets += family_datasets
    return tuple(envs), tuple(datasets)


def env_entries() -> tuple[EnvEntry, ...]:
    return _entries()[0]


def dataset_entries() -> tuple[DatasetEntry, ...]:
    return _entries()[1]


def dataset_entry(dataset_id: str) -> DatasetEntry:
    """The entry of a dataset id; unknown ids get close matches in the error."""
    for entry in dataset_entries():
        if entry.dataset_id == dataset_id:
            return entry
    raise KeyError(unknown_id_message("dataset", dataset_id, [e.dataset_id for e in dataset_entries()]))


def unknown_id_message(what: str, given: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(given, known, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return f"unknown {what} id {given!r}.{hint} `envsuite-datagen list` shows them all."


def check_env_id(env_id, envsuite_only: bool = False) -> str:
    """`env_id` if it names an env registered with gymnasium by id; else paths.InvalidIdError.

    gymnasium.make("module:Entry") imports `module`: an id read from a recipe or a dataset file must
    never choose code, so such ids are refused, and with envsuite_only so is any id that is not one
    of envsuite's own (`envsuite/...`).
    """
    if not isinstance(env_id, str) or ":" in env_id:
        raise paths.InvalidIdError(
            f"invalid env id {env_id!r}: an env is named by its registered id (e.g. 'envsuite/Hopper-v0'), "
            "never 'module:Entry', which would import a module")
    register_all()
    known = [e.env_id for e in env_entries()]
    if envsuite_only and env_id not in known:
        raise paths.InvalidIdError(unknown_id_message("envsuite env", env_id, known))
    if env_id not in gymnasium.registry:
        raise paths.InvalidIdError(unknown_id_message("env", env_id, known))
    return env_id


def make_registered_env(env_id: str, envsuite_only: bool = False, **kwargs):
    """gymnasium.make for an id checked by check_env_id (never a module path)."""
    return gymnasium.make(check_env_id(env_id, envsuite_only=envsuite_only), **kwargs)


# Dataset-carrying ids get this outermost wrapper, so that `gymnasium.make(id).get_dataset()` works
# through gymnasium's own wrappers as in D4RL (envsuite.common.DatasetAccess).
DATASET_ACCESS_WRAPPER = gymnasium.envs.registration.WrapperSpec(
    name="DatasetAccess", entry_point="envsuite.common:DatasetAccess", kwargs={})


def register_all() -> None:
    """Register every env id with gymnasium (idempotent)."""
    for entry in env_entries():
        if entry.env_id in gymnasium.registry:
            continue
        gymnasium.register(
            id=entry.env_id,
            entry_point=entry.entry_point,
            max_episode_steps=entry.max_episode_steps,
            kwargs=dict(entry.kwargs),
            vector_entry_point=entry.vector_entry_point,
            additional_wrappers=(DATASET_ACCESS_WRAPPER,) if entry.dataset_id is not None else (),
        )


def catalog(with_spaces: bool = True) -> list[dict[str, Any]]:
    """Every env and dataset: id, family, kind, spaces, reference scores, whether the dataset is local.

    One row per env id; rows of dataset-carrying ids also give the dataset id, its cache path and
    `present` (the file exists in $ENVSUITE_DATA_DIR).
    """
    datasets = {d.dataset_id: d for d in dataset_entries()}
    spaces_of: dict[str, tuple[str, str]] = {}
    rows = []
    for entry in env_entries():
        row: dict[str, Any] = {"env_id": entry.env_id, "family": entry.family, "description": entry.description}
        if with_spaces:
            # envs of one entry point differ in spaces only through their own kwargs, not the dataset ones
            shaping = {k: v for k, v in entry.kwargs.items() if k not in ("dataset_id", "ref_min_score", "ref_max_score")}
            key = (entry.entry_point, json.dumps(shaping, sort_keys=True, default=str))
            if key not in spaces_of:
                try:
                    env = gymnasium.make(entry.env_id, **entry.probe_kwargs)
                except (ImportError, RuntimeError) as error:  # an optional extra (pysc2) is missing or cannot load here
                    spaces_of[key] = (f"unavailable: {error}", f"unavailable: {error}")
                else:
                    spaces_of[key] = (str(env.observation_space), str(env.action_space))
                    env.close()
            row["observation_space"], row["action_space"] = spaces_of[key]
        if entry.dataset_id is not None:
            dataset = datasets[entry.dataset_id]
            path = paths.dataset_path(dataset.dataset_id)
            row.update(
                dataset_id=dataset.dataset_id,
                kind=dataset.kind,
                ref_min_score=_nan_to_none(dataset.ref_min_score),
                ref_max_score=_nan_to_none(dataset.ref_max_score),
                path=str(path),
                present=path.exists(),
            )
        rows.append(row)
    return rows


def _nan_to_none(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value
