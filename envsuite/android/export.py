"""Export an Android dataset as Android in the Wild-style records: one JSON line per step, one PNG
per screen, in AitW's field names, for tools written against AitW (its visualisation and
action-matching code, DigiRL's data loaders).

Where it sits: the Android family (envsuite/android/), reading an envsuite dataset
(envsuite.data) written by datagen/android.py; `envsuite-datagen export-aitw` calls it.

Per step (a line of steps.jsonl):
    episode_id, episode_length, step_id, goal_info, current_activity ("<app>/<screen>" is not kept in
    the dataset: the screen's title stands in), device_type ("envsuite-stub"),
    image/height, image/width, image/channels, image/encoded (the PNG's path, relative to the
    folder; AitW holds the encoded bytes there), image/ui_annotations_positions (flat, 4 per
    element, (y, x, h, w) in [0, 1]), image/ui_annotations_text, image/ui_annotations_ui_types,
    results/action_type (AitW's code), results/type_action, results/yx_touch, results/yx_lift,
    plus envsuite's reward, success and task family.
The folder is written next to its final path and renamed into place when complete: an export that
fails or is interrupted leaves nothing half-written under the final name.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from envsuite.android.spaces import UI_TYPES

DEVICE_TYPE = "envsuite-stub"


def export_aitw(dataset, out_dir, episodes: list[int] | None = None, progress: bool = True) -> Path:
    """Write `dataset`'s episodes (all, or the indices given) to `out_dir` (steps.jsonl + images/)."""
    from PIL import Image
    from tqdm import tqdm

    if dataset.family != "android":
        raise ValueError(f"{dataset.dataset_id} is a {dataset.family} dataset; export-aitw takes Android datasets")
    chosen = list(range(dataset.total_episodes)) if episodes is None else [int(e) for e in episodes]
    bad = [e for e in chosen if not 0 <= e < dataset.total_episodes]
    if bad:
        raise ValueError(f"episodes {bad} are outside the {dataset.total_episodes} episodes of {dataset.dataset_id}")
    out_dir = Path(out_dir)
    if out_dir.exists():
        raise FileExistsError(f"{out_dir} exists; export-aitw writes a new folder (remove it or choose another)")
    partial = out_dir.with_name(f".{out_dir.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "images").mkdir(parents=True)
    try:
        with open(partial / "steps.jsonl", "w", encoding="utf-8") as lines:
            for e in tqdm(chosen, desc=f"export {dataset.dataset_id}", unit="episode", disable=not progress):
                episode = dataset.episode(e)
                start = int(dataset.episode_starts[e])
                for step in range(len(episode)):
                    record = _record(dataset, episode, e, step, start + step)
                    screen = np.asarray(episode.observations["screen"][step])
                    Image.fromarray(screen).save(partial / record["image/encoded"], optimize=False)
                    lines.write(json.dumps(record) + "\n")
            lines.flush()
            os.fsync(lines.fileno())
        os.replace(partial, out_dir)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return out_dir


def _record(dataset, episode, episode_index: int, step: int, row: int) -> dict:
    observations, actions = episode.observations, episode.actions
    screen = observations["screen"][step]
    types = np.asarray(observations["annotation_types"][step])
    count = int((types > 0).sum())
    positions = np.asarray(observations["annotation_positions"][step][:count], dtype=np.float64)
    texts = [str(observations["annotation_texts"][k][step]) for k in range(count)]
    infos = dataset.infos
    return {
        "episode_id": f"{dataset.dataset_id}/{episode_index}",
        "episode_length": len(episode),
        "step_id": step,
        "goal_info": str(observations["goal"][step]),
        # the title bar (element 1, a TEXT) names the screen; the launcher has icons there instead
        "current_activity": texts[1] if count > 1 and UI_TYPES[int(types[1]) - 1] == "TEXT" else "launcher",
        "device_type": DEVICE_TYPE,
        "image/height": int(screen.shape[0]),
        "image/width": int(screen.shape[1]),
        "image/channels": int(screen.shape[2]),
        "image/encoded": f"images/{episode_index:06d}_{step:03d}.png",
        "image/ui_annotations_positions": [round(float(v), 6) for v in positions.reshape(-1)],
        "image/ui_annotations_text": texts,
        "image/ui_annotations_ui_types": [UI_TYPES[int(t) - 1] for t in types[:count]],
        "results/action_type": int(actions["action_type"][step]),
        "results/type_action": str(actions["typed_text"][step]),
        "results/yx_touch": [round(float(v), 6) for v in actions["touch_yx"][step]],
        "results/yx_lift": [round(float(v), 6) for v in actions["lift_yx"][step]],
        "reward": float(episode.rewards[step]),
        "success": bool(infos["success"][row]),
        "task_family": str(infos["family"][row]),
    }
