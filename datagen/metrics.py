"""Dataset metrics as datagen reports them: return statistics, normalized score, TQ, SACo.

The kernels are envsuite.metrics (numba); this file only chooses what to compute for a dataset and
how to lay it out (attrs at finalize, rows of the `metrics` table).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from envsuite import metrics as kernels


def summary_metrics(episode_returns: np.ndarray, entry) -> dict[str, Any]:
    """Metrics stored in a dataset's `metrics/` attrs when it is written."""
    stats = kernels.return_statistics(episode_returns)
    result: dict[str, Any] = {f"return_{key}": value for key, value in stats.items()}
    ref_min = entry.ref_min_score if entry else None
    ref_max = entry.ref_max_score if entry else None
    if _finite(ref_min) and _finite(ref_max) and len(episode_returns):
        result["normalized_score_mean"] = float(np.mean(kernels.normalized_score(episode_returns, ref_min, ref_max)))
        result["tq"] = float(kernels.trajectory_quality(episode_returns, ref_min, ref_max))
        result["tq_reference"] = {"random_return": ref_min, "expert_return": ref_max}
    return result


def dataset_metrics(dataset, reference=None, bins: int | None = None) -> dict[str, Any]:
    """Every metric of one opened dataset; SACo needs a reference dataset (its limits and unique count)."""
    returns = np.asarray(dataset.episode_returns, dtype=np.float64)
    if dataset.metrics.get("last_episode_cut_by_size"):
        returns = returns[:-1]  # the size budget cut it: not a full episode return
    row: dict[str, Any] = {
        "dataset_id": dataset.dataset_id,
        "episodes": int(dataset.total_episodes),
        "complete_episodes": int(len(returns)),
        "steps": int(dataset.total_steps),
        "return_mean": float(returns.mean()) if len(returns) else math.nan,
        "return_std": float(returns.std()) if len(returns) else math.nan,
    }
    ref_min, ref_max = dataset.attrs.get("ref_min_score"), dataset.attrs.get("ref_max_score")
    if _finite(ref_min) and _finite(ref_max) and len(returns):
        row["normalized_score"] = float(np.mean(kernels.normalized_score(returns, float(ref_min), float(ref_max))))
        row["tq"] = float(kernels.trajectory_quality(returns, float(ref_min), float(ref_max)))
        row["d4rl_score"] = 100.0 * row["normalized_score"]  # the x100 figure D4RL papers report
    else:
        row["normalized_score"] = row["tq"] = row["d4rl_score"] = math.nan
    if dataset.family == "mocap" and len(returns):
        row.update(mocap_row(dataset, len(returns)))
    if dataset.family == "starcraft" and len(returns) and "won" in dataset.infos:  # (image-window datasets: no)
        last_steps = dataset.episode_starts[: len(returns)] + dataset.episode_lengths[: len(returns)] - 1
        row["win_rate"] = float(np.asarray(dataset.infos["won"])[last_steps].mean())
    if dataset.family == "android" and len(returns):
        row.update(android_row(dataset, len(returns)))
    if reference is not None:
        kwargs = {} if bins is None else {"bins": bins}
        saco = kernels.saco(_flat(dataset.observations), _flat(dataset.actions),
                            _flat(reference.observations), _flat(reference.actions), **kwargs)
        row["saco"] = float(saco.value)
        row["saco_reference"] = reference.dataset_id
        row["saco_bins"] = int(saco.bins)
    return row


def mocap_row(dataset, complete_episodes: int) -> dict[str, float]:
    """MoCapAct's normalized episode length and return, recomputed from the dataset's infos."""
    from envsuite.metrics.mocap import episode_metrics_from_steps

    infos = dataset.infos
    per_episode = episode_metrics_from_steps(
        dataset.episode_starts[:complete_episodes], dataset.episode_lengths[:complete_episodes],
        dataset.episode_returns[:complete_episodes], np.asarray(infos["time_in_clip"]),
        np.asarray(infos["start_time_in_clip"]), np.asarray(infos["last_time_in_clip"]))
    return {"normalized_episode_length": float(per_episode["normalized_episode_length"].mean()),
            "normalized_return": float(per_episode["normalized_return"].mean())}


def android_row(dataset, complete_episodes: int) -> dict[str, float]:
    """Success rate over the complete episodes, and AitW action matching of every stored action
    against the expert's label (infos/expert_*), vectorised over the dataset. Reads no screens."""
    from envsuite.metrics.action_matching import action_matching_metrics

    infos, actions, observations = dataset.infos, dataset.actions, dataset.observations
    last_steps = dataset.episode_starts[:complete_episodes] + dataset.episode_lengths[:complete_episodes] - 1
    types = np.asarray(observations["annotation_types"])
    matching = action_matching_metrics(
        np.asarray(actions["action_type"]), np.asarray(actions["touch_yx"]), np.asarray(actions["lift_yx"]),
        np.asarray(actions["typed_text"]), np.asarray(infos["expert_action_type"]),
        np.asarray(infos["expert_touch_yx"]), np.asarray(infos["expert_lift_yx"]),
        np.asarray(infos["expert_typed_text"]), np.asarray(observations["annotation_positions"]),
        (types > 0).sum(axis=1))
    return {"success_rate": float(np.asarray(infos["success"])[last_steps].mean()),
            "action_match": matching["action_match_accuracy"], "type_accuracy": matching["type_accuracy"]}


def _flat(array) -> np.ndarray:
    """(N, ...) -> (N, D) float array for SACo (Box spaces; Dict spaces are not covered)."""
    if isinstance(array, dict):
        raise ValueError("SACo is defined here for Box observation/action spaces, not Dict spaces")
    array = np.asarray(array[()] if hasattr(array, "shape") and not isinstance(array, np.ndarray) else array)
    return array.reshape(len(array), -1)


def _finite(value) -> bool:
    return value is not None and isinstance(value, (int, float, np.floating)) and math.isfinite(float(value))


def format_table(rows: list[dict[str, Any]], columns: list[tuple[str, str, str]]) -> str:
    """Plain-text table; columns are (key, header, format spec)."""
    cells = [[header for _, header, _ in columns]]
    for row in rows:
        line = []
        for key, _, spec in columns:
            value = row.get(key)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                line.append("-")
            else:
                line.append(format(value, spec))
        cells.append(line)
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
