"""The locomotion behaviour policies: which trainer makes each env's expert, and what is saved.

Where it sits: `envsuite-datagen train-policy ENV` and `evaluate-policy` call this module; the
trainers are training/locomotion/ars.py (linear policies: Hopper, HalfCheetah, Ant) and
training/locomotion/ppo.py (an MLP policy: Walker2d, for which linear ARS was too slow here).
Datagen's replay recipes (medium-replay) read training records through `replay_policies`.

Each trainer module provides CONFIGS (env name -> config with env_id), train(env_name, seed=,
workers=, state_path=, log=) -> run with run.checkpoints (iteration, env_steps, wall_seconds,
eval_return), checkpoint_policy(checkpoint, env_name, kind, metadata), evaluate_policy(policy,
env_id, episodes, workers), save_training_record(run, checkpoint, path), replay_policies(path),
record_rollout_lengths(path) and TRAINER (a description for provenance).

Assets written to assets/locomotion/ (committed):
  <env>_expert.npz, <env>_medium.npz, <env>_training_record.npz, reference_scores.json
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from types import ModuleType

import numpy as np

from training.locomotion.rollout_pool import EVAL_SEED_BASE
from envsuite.policies import LinearPolicy
from envsuite.policies.mlp import MLPPolicy

TRAINERS = {"hopper": "ars", "halfcheetah": "ars", "walker2d": "ppo", "ant": "ars"}


def _algorithm_module(algorithm: str) -> ModuleType:
    """The trainer module of "ars" or "ppo" (imported on demand: each pulls in its own machinery)."""
    if algorithm == "ppo":
        from training.locomotion import ppo

        return ppo
    from training.locomotion import ars

    return ars


def trainer(env_name: str) -> ModuleType:
    if env_name not in TRAINERS:
        raise ValueError(f"unknown locomotion env {env_name!r}; choose from {', '.join(TRAINERS)}")
    return _algorithm_module(TRAINERS[env_name])


def env_id(env_name: str) -> str:
    return trainer(env_name).CONFIGS[env_name].env_id


def load_policy(path) -> LinearPolicy | MLPPolicy:
    """A committed policy file, linear or MLP (MLP files have a 'layers' entry)."""
    with np.load(path, allow_pickle=False) as data:
        is_mlp = "layers" in data.files
    return MLPPolicy.load(path) if is_mlp else LinearPolicy.load(path)


def evaluate_policy(policy, env_id: str, episodes: int = 100, workers: int = 2):
    """(returns, lengths) of the deterministic policy over env seeds EVAL_SEED_BASE + 0 .. episodes - 1."""
    module = _algorithm_module("ppo" if isinstance(policy, MLPPolicy) else "ars")
    return module.evaluate_policy(policy, env_id, episodes, workers)


def _record_module(record_path) -> ModuleType:
    with np.load(record_path, allow_pickle=False) as record:
        algorithm = str(record["algorithm"]) if "algorithm" in record.files else "ars"  # ARS records predate the field
    return _algorithm_module(algorithm)


def replay_policies(record_path) -> list:
    """Every training rollout of a record as (iteration, index, policy, env seed), in training order."""
    return _record_module(record_path).replay_policies(record_path)


def record_rollout_lengths(record_path) -> np.ndarray:
    """Length in steps of every training rollout of a record, in training order."""
    return _record_module(record_path).record_rollout_lengths(record_path)


def default_state_dir() -> Path:
    """Where resumable training state lives (outside assets/, so it never ships in the wheel)."""
    from envsuite import paths

    return paths.data_dir().parent / "training"


def train_and_save(env_name: str, out_dir, *, seed: int = 0, workers: int = 2, state_dir=None, log=print) -> dict:
    """Train (resuming from `state_dir` if a run was interrupted), evaluate (100 episodes each),
    pick the medium checkpoint and write the assets."""
    from training.locomotion.ars import evaluate_random

    module = trainer(env_name)
    config = module.CONFIGS[env_name]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
    state_dir.mkdir(parents=True, exist_ok=True)
    state_path = state_dir / f"{env_name}_seed{seed}_{TRAINERS[env_name]}_state.npz"
    run = module.train(env_name, seed=seed, workers=workers, state_path=state_path, log=log)
    best = max(run.checkpoints, key=lambda c: c.eval_return)
    common = {"env_id": config.env_id, "trainer": module.TRAINER, "config": asdict(config), "seed": seed,
              "workers": workers, "total_env_steps": run.env_steps, "total_wall_seconds": round(run.wall_seconds, 1)}
    expert = module.checkpoint_policy(best, env_name, "expert", dict(common, iteration=best.iteration,
                                                                     env_steps=best.env_steps,
                                                                     wall_seconds=round(best.wall_seconds, 1)))
    expert_returns, _ = module.evaluate_policy(expert, config.env_id, 100, workers)
    expert.metadata["eval_100_mean_return"] = float(expert_returns.mean())
    expert.metadata["eval_100_std_return"] = float(expert_returns.std())
    log(f"{env_name} expert: iteration {best.iteration}, 100-episode mean return {expert_returns.mean():.1f}")

    # Medium: try checkpoints by closeness to a third of the expert; keep the first whose
    # 100-episode return lies in 25-45 % of the expert's.
    target = expert_returns.mean() / 3.0
    medium = medium_returns = medium_checkpoint = None
    for candidate in sorted(run.checkpoints, key=lambda c: (abs(c.eval_return - target), c.iteration))[:8]:
        policy = module.checkpoint_policy(candidate, env_name, "medium", dict(common, iteration=candidate.iteration,
                                                                              env_steps=candidate.env_steps))
        returns, _ = module.evaluate_policy(policy, config.env_id, 100, workers)
        fraction = returns.mean() / expert_returns.mean()
        log(f"{env_name} medium candidate iteration {candidate.iteration}: {returns.mean():.1f} ({fraction:.0%} of expert)")
        if 0.25 <= fraction <= 0.45:
            medium, medium_returns, medium_checkpoint = policy, returns, candidate
            break
    if medium is None:
        raise RuntimeError(f"{env_name}: no checkpoint had 25-45 % of the expert's return; train with another seed")
    medium.metadata["eval_100_mean_return"] = float(medium_returns.mean())
    medium.metadata["eval_100_std_return"] = float(medium_returns.std())

    random_returns, _ = evaluate_random(config.env_id, 100)
    expert.save(out_dir / f"{env_name}_expert.npz")
    medium.save(out_dir / f"{env_name}_medium.npz")
    module.save_training_record(run, medium_checkpoint, out_dir / f"{env_name}_training_record.npz")
    scores_path = out_dir / "reference_scores.json"
    scores = json.loads(scores_path.read_text()) if scores_path.exists() else {}
    scores[env_name] = {
        "random": float(random_returns.mean()),
        "medium": float(medium_returns.mean()),
        "expert": float(expert_returns.mean()),
        "episodes": 100,
        "eval_seeds": f"{EVAL_SEED_BASE}..{EVAL_SEED_BASE + 99}",
        "trainer": module.TRAINER,
        "expert_env_steps": int(best.env_steps),
        "expert_wall_seconds": round(best.wall_seconds, 1),
    }
    scores_path.write_text(json.dumps(scores, indent=2, sort_keys=True) + "\n")
    log(f"{env_name}: random {random_returns.mean():.1f}, medium {medium_returns.mean():.1f}, "
        f"expert {expert_returns.mean():.1f}; {run.env_steps} env steps, {run.wall_seconds:.0f} s")
    return scores[env_name]
