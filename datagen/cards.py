"""`envsuite-datagen card ID`: a Markdown data card with PNG plots, to see what a dataset holds
without writing code.

Where it sits: datagen (reads a dataset with envsuite.data; the metrics from datagen/metrics.py; the
family pictures from datagen/render.py). The card has: purpose, provenance (recipe, policies, seeds,
envsuite version, content hash), composition, metrics (returns, D4RL score and TQ where there are
reference scores, SACo against a reference dataset when one is given, the family's own), intended
uses and limits, and plots: returns per behaviour policy, episode lengths, action distributions,
state coverage (the observations projected on their first two principal components), and a family
picture (MoCap: normalized episode length per snippet; StarCraft: a grid of example frames or
windows; Android: example screens with their actions drawn).
The folder is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from datagen.metrics import dataset_metrics

USES = {
    "locomotion": ("Offline RL and imitation on gymnasium's MuJoCo v5 dynamics (D4RL-style kinds).",
                   "Behaviour comes from envsuite's own ARS/PPO policies, not D4RL's SAC agents: scores are "
                   "comparable within envsuite, not to D4RL numbers."),
    "mocap": ("Imitation and offline RL for humanoid motion tracking (MoCapAct-style rollouts).",
              "A small dataset: the planner expert is slow (about 0.2 s per step); clips converted by envsuite."),
    "starcraft": ("Multi-agent offline RL on SMAC-style micro battles, or StarCraftImage-style image classification.",
                  "A simulator with StarCraft II unit statistics, not the game: dynamics and pathing are simpler."),
    "android": ("Offline RL and behaviour cloning of device control with AitW actions and DigiRL instructions.",
                "An emulator-free phone: apps, web pages and products are simulated; success is judged by the "
                "phone's state, not by a human or a model."),
}


def write_card(ds, out_dir: str | os.PathLike, *, reference=None) -> Path:
    """Write the card of an open dataset into the new folder `out_dir` (README.md, *.png)."""
    out_dir = Path(out_dir)
    if out_dir.exists():
        raise FileExistsError(f"{out_dir} exists; choose another --to folder or remove it")
    partial = out_dir.with_name(f".{out_dir.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        plots = _plots(ds, partial)
        row = dataset_metrics(ds, reference)
        (partial / "README.md").write_text(_markdown(ds, row, plots, reference), encoding="utf-8")
        os.replace(partial, out_dir)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return out_dir


# --- plots ----------------------------------------------------------------------------------------


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _complete_episodes(ds) -> int:
    return ds.total_episodes - int(bool(ds.metrics.get("last_episode_cut_by_size")))


def _plots(ds, folder: Path) -> dict[str, str]:
    plt = _figure()
    plots = {}
    complete = _complete_episodes(ds)
    returns = np.asarray(ds.episode_returns[:complete])
    policies = np.asarray(ds.episode_policies[:complete])

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for index, name in enumerate(ds.policies):
        chosen = returns[policies == index]
        if chosen.size:
            ax.hist(chosen, bins=30, alpha=0.6, label=f"{name} ({chosen.size})")
    ax.set(xlabel="episode return", ylabel="episodes", title="Returns per behaviour policy (complete episodes)")
    ax.legend(fontsize=8)
    plots["returns"] = _save(fig, folder, "returns.png")

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(ds.episode_lengths, bins=30, color="tab:gray")
    ax.set(xlabel="steps", ylabel="episodes", title="Episode lengths")
    plots["lengths"] = _save(fig, folder, "episode_lengths.png")

    plots["actions"] = _action_plot(ds, folder, plt)
    coverage = _coverage_plot(ds, folder, plt)
    if coverage:
        plots["coverage"] = coverage
    extra = _family_plot(ds, folder, plt)
    if extra:
        plots["family"] = extra
    return plots


def _save(fig, folder: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(folder / name, dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return name


def _sample_rows(total: int, count: int = 20_000) -> np.ndarray:
    return np.sort(np.random.default_rng(0).choice(total, size=min(total, count), replace=False))


def _action_plot(ds, folder: Path, plt) -> str:
    actions = ds.actions
    if isinstance(actions, dict):  # Android: the AitW action types; others: the first array
        key = "action_type" if "action_type" in actions else next(iter(actions))
        values, title = np.asarray(actions[key]), f"Actions: {key}"
    else:
        values, title = np.asarray(actions), "Actions"
    fig, ax = plt.subplots(figsize=(7, 3.5))
    if np.issubdtype(values.dtype, np.floating):
        flat = values.reshape(len(values), -1)[_sample_rows(len(values))]
        dims = min(flat.shape[1], 8)
        ax.violinplot([flat[:, d] for d in range(dims)], showmedians=True)
        ax.set(xlabel=f"action dimension (first {dims})", ylabel="value", title=f"{title} per dimension")
    else:
        codes, counts = np.unique(values.reshape(-1), return_counts=True)
        ax.bar([str(c) for c in codes], counts, color="tab:blue")
        ax.set(xlabel="action", ylabel="count", title=f"{title} counts")
    return _save(fig, folder, "actions.png")


def _coverage_rows(ds) -> np.ndarray | None:
    observations = ds.observations
    if isinstance(observations, dict):
        for key in ("observation", "state"):
            if key in observations:
                observations = observations[key]
                break
        else:
            return None
    array = np.asarray(observations[_sample_rows(ds.total_steps, 5000)])
    if not np.issubdtype(array.dtype, np.number):
        return None
    flat = array.reshape(len(array), -1).astype(np.float64)
    return flat if flat.shape[1] >= 2 else None


def _coverage_plot(ds, folder: Path, plt) -> str | None:
    if ds.family == "android":  # where the taps land on the screen
        touch = np.asarray(ds.actions["touch_yx"])
        taps = np.asarray(ds.actions["action_type"]) == 4
        fig, ax = plt.subplots(figsize=(3.5, 6))
        ax.scatter(touch[taps, 1], touch[taps, 0], s=6, alpha=0.4)
        ax.set(xlim=(0, 1), ylim=(1, 0), xlabel="x", ylabel="y", title="Touch points (DUAL_POINT)")
        return _save(fig, folder, "coverage.png")
    rows = _coverage_rows(ds)
    if rows is None:
        return None
    centred = rows - rows.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    projected = centred @ axes[:2].T
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter(projected[:, 0], projected[:, 1], s=3, alpha=0.3)
    ax.set(xlabel="PC 1", ylabel="PC 2", title=f"State coverage ({len(rows)} observations, PCA)")
    return _save(fig, folder, "coverage.png")


def _family_plot(ds, folder: Path, plt) -> str | None:
    if ds.family == "mocap":
        from envsuite.metrics.mocap import episode_metrics_from_steps

        complete = _complete_episodes(ds)
        if complete == 0:
            return None
        infos = ds.infos
        per_episode = episode_metrics_from_steps(
            ds.episode_starts[:complete], ds.episode_lengths[:complete], ds.episode_returns[:complete],
            np.asarray(infos["time_in_clip"]), np.asarray(infos["start_time_in_clip"]),
            np.asarray(infos["last_time_in_clip"]))
        snippets = np.asarray(infos["snippet_id"])[ds.episode_starts[:complete]].astype(str)
        names = sorted(set(snippets))
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.bar(names, [per_episode["normalized_episode_length"][snippets == name].mean() for name in names])
        ax.set(ylim=(0, 1.05), ylabel="normalized episode length", title="Normalized episode length per snippet")
        return _save(fig, folder, "family.png")
    if ds.family in ("starcraft", "android"):
        from datagen.render import episode_frames

        frames = []
        for episode in range(min(ds.total_episodes, 4)):
            frames += episode_frames(ds, episode, max_frames=2, size=160)
        frames = frames[:8]
        columns = min(4, len(frames))
        rows = -(-len(frames) // columns)
        fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 3 * rows * frames[0].shape[0] / frames[0].shape[1]),
                                 squeeze=False)
        for ax in axes.ravel():
            ax.axis("off")
        for ax, frame in zip(axes.ravel(), frames):
            ax.imshow(frame)
        fig.suptitle("Example screens and their actions" if ds.family == "android" else "Example frames")
        return _save(fig, folder, "family.png")
    return None


# --- the Markdown ------------------------------------------------------------------------------------


def _motion_lines(ds) -> list[str]:
    """MoCap: the motion the episodes tracked, per category of the shipped library (its clips' minutes
    and counts), or the clip names where they come from a clip file outside the library."""
    from envsuite.mocap import library
    from envsuite.mocap.snippets import Snippet

    snippet_ids = np.asarray(ds.infos["snippet_id"])[ds.episode_starts].astype(str)
    tracked = sorted({Snippet.from_id(s).clip for s in snippet_ids})
    known = {r.id: r for r in library.library()}
    lines = ["", "## Motion", ""]
    outside = [name for name in tracked if name not in known]
    if outside:
        lines.append(f"Clips from a clip file, not the shipped MoCap library: {', '.join(outside)}.")
    inside = [name for name in tracked if name in known]
    if inside:
        lines += [f"{len(inside)} clips of the shipped MoCap library (`envsuite-datagen mocap-clips`), real CMU "
                  "motion converted by envsuite:", "", "| category | clips | snippets | minutes |", "|---|---|---|---|"]
        lines += [f"| {r['category']} | {r['clips']} | {r['snippets']} | {r['minutes']:.1f} |"
                  for r in library.composition(inside)]
    return lines


def _markdown(ds, row: dict, plots: dict, reference) -> str:
    recipe = ds.recipe or {}
    complete = _complete_episodes(ds)
    uses, limits = USES.get(ds.family, ("Offline RL.", "See the recipe."))
    descriptions = ds.attrs.get("policy_descriptions")
    try:
        descriptions = json.loads(descriptions) if isinstance(descriptions, str) else descriptions
    except ValueError:
        descriptions = None
    lines = [f"# {ds.dataset_id}", "", str(recipe.get("description", "")), "",
             "## Purpose", "", uses, "",
             "## Provenance", "",
             f"- env: `{ds.env_id}` (base `{(ds.env_spec or {}).get('base_env_id', ds.env_id)}`)",
             f"- recipe: `datagen/recipes/{ds.dataset_id}.toml`, seed {recipe.get('seed')}, size "
             f"`{recipe.get('size')}` ({recipe.get('budget_steps')} steps)",
             f"- behaviour policies: {', '.join(ds.policies)}",
             f"- envsuite version {ds.attrs.get('envsuite_version')}, created {ds.attrs.get('created_utc')}",
             f"- content_sha256 `{ds.content_sha256}` (`envsuite-datagen verify` recomputes it)",
             f"- episode seeds: from the recipe seed and the episode index (first: {int(ds.episode_seeds[0])})", ""]
    if descriptions:
        lines += ["Policy details:", "", "```json", json.dumps(descriptions, indent=1, sort_keys=True)[:3000], "```", ""]
    lines += ["## Composition", "",
              "| | |", "|---|---|",
              f"| steps | {ds.total_steps:,} |", f"| episodes | {ds.total_episodes:,} ({complete:,} complete) |",
              f"| terminal episode ends | {int(np.asarray(ds.terminals).sum()):,} |",
              f"| timeout episode ends | {int(np.asarray(ds.timeouts).sum()):,} |",
              f"| observation space | `{ds.observation_space}`"[:300] + " |", f"| action space | `{ds.action_space}` |"]
    for index, name in enumerate(ds.policies):
        chosen = ds.episode_policies == index
        lines.append(f"| episodes of {name} | {int(chosen.sum()):,} ({int(ds.episode_lengths[chosen].sum()):,} steps) |")
    lines += _motion_lines(ds) if ds.family == "mocap" else []
    lines += ["", "## Metrics", "", "| metric | value |", "|---|---|"]
    for key, value in row.items():
        if key in ("dataset_id",) or (isinstance(value, float) and not np.isfinite(value)):
            continue
        lines.append(f"| {key} | {value:.4g} |" if isinstance(value, float) else f"| {key} | {value} |")
    stored = {k: v for k, v in ds.metrics.items() if k not in row}
    for key, value in sorted(stored.items()):
        lines.append(f"| {key} | {value:.4g} |" if isinstance(value, float) else f"| {key} | {value} |")
    if reference is None:
        lines += ["", "SACo needs a reference dataset: `envsuite-datagen card ID --reference OTHER_ID`."]
    lines += ["", "## Intended uses and limits", "", f"- Use: {uses}", f"- Limits: {limits}",
              "- Returns of the episode cut by the size budget are left out of the return statistics.", "",
              "## Plots", ""]
    captions = {"returns": "Returns per behaviour policy", "lengths": "Episode lengths", "actions": "Actions",
                "coverage": "Coverage", "family": "Family picture"}
    for key, name in plots.items():
        lines += [f"![{captions[key]}]({name})", ""]
    return "\n".join(lines)
