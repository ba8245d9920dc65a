"""The `envsuite-datagen` command line (DESIGN.md section 4).

    envsuite-datagen list
    envsuite-datagen generate ID [ID ...] [--size small|full|STEPS] [--workers K] [--out DIR] [--seed S]
    envsuite-datagen info ID|PATH
    envsuite-datagen metrics ID|PATH [...] [--reference ID|PATH] [--bins B]
    envsuite-datagen verify ID|PATH [...]
    envsuite-datagen train-policy ENV [--seed S] [--workers K] [--out DIR]
    envsuite-datagen evaluate-policy ENV [--kind expert|medium|random] [--episodes N]
    envsuite-datagen evaluate-tracking [CLIP ...] [--episodes N] [--action-noise A] [--seed S]
    envsuite-datagen evaluate-tracking --subset S [--episodes N] [--workers K] [--planner JSON] [--json] [--resume FILE]

Bad arguments exit with code 2 and one line on stderr; unknown ids get close matches.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from datagen.recipes import RecipeError, load_recipe, recipe_ids


class UsageError(Exception):
    """Bad command-line input: reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse prints the whole usage by default)
        raise UsageError(f"{self.prog}: {message} (see --help)")


def _open_for_reading(path):
    """A dataset loaded into memory for metrics and cards, except an Android one: those read no
    screens, which stay on disk (hundreds of MB)."""
    from envsuite.data import load_dataset

    with load_dataset(path) as probe:
        in_memory = probe.family != "android"
    return load_dataset(path, in_memory=in_memory)


def _resolve(id_or_path: str, out: str | None) -> str:
    """A path that exists, else a dataset id looked up in --out or the cache."""
    if Path(id_or_path).exists():
        return id_or_path
    from envsuite import paths

    if "/" not in id_or_path:
        raise UsageError(f"{id_or_path!r} is neither a file nor a dataset id '<family>/<name>-vN'")
    load_recipe(id_or_path)  # raises RecipeError with suggestions for unknown ids
    path = paths.dataset_path(id_or_path, out)
    if not path.exists():
        import shlex

        from envsuite.data import DatasetNotFoundError

        command = f"envsuite-datagen generate {id_or_path}" + (f" --out {shlex.quote(out)}" if out else "")
        raise DatasetNotFoundError(f"dataset {id_or_path} is not generated in {out or paths.data_dir()} (no {path}); "
                                   f"generate it with: {command}")
    return str(path)


def cmd_list(args) -> int:
    from envsuite import registry

    from datagen.metrics import format_table

    from envsuite import paths

    rows = [r for r in registry.catalog(with_spaces=False) if "dataset_id" in r]
    for row in rows:
        path = paths.dataset_path(row["dataset_id"], args.out) if args.out else Path(row["path"])
        sizes = load_recipe(row["dataset_id"]).sizes
        row["small_steps"], row["full_steps"] = sizes["small"], sizes["full"]
        row["size_mb"] = path.stat().st_size / 1e6 if path.exists() else None
        row["generated"] = "yes" if path.exists() else "no"
    print(format_table(rows, [("dataset_id", "dataset", "s"), ("env_id", "env id", "s"), ("kind", "kind", "s"),
                              ("ref_min_score", "ref min", ".1f"), ("ref_max_score", "ref max", ".1f"),
                              ("small_steps", "small", ",d"), ("full_steps", "full", ",d"),
                              ("generated", "generated", "s"), ("size_mb", "MB", ".1f")]))
    print("small / full: steps at --size small / full; generated and MB: in "
          f"{args.out or paths.data_dir()}")
    return 0


def cmd_generate(args) -> int:
    from datagen.generate import generate

    if args.workers < 1:
        raise UsageError(f"--workers must be >= 1, got {args.workers}")
    if args.address is not None and args.backend != "ray":
        raise UsageError("--address needs --backend ray")
    if args.size not in ("small", "full") and not (args.size.isdigit() and int(args.size) > 0):
        raise UsageError(f"--size must be small, full or a positive step count, got {args.size!r}")
    from envsuite import paths

    recipes = [load_recipe(dataset_id) for dataset_id in args.ids]
    for recipe in recipes:
        existed = paths.dataset_path(recipe.dataset_id, args.out).exists() and not args.overwrite
        path = generate(recipe, args.size, out=args.out, workers=args.workers, seed=args.seed,
                        overwrite=args.overwrite, progress=not args.quiet, backend=args.backend,
                        address=args.address)
        print(f"{path}  (already generated; --overwrite makes it again)" if existed else path)
    return 0


def cmd_info(args) -> int:
    from envsuite.data import load_dataset

    with load_dataset(_resolve(args.id, args.out)) as dataset:
        info = {key: _decoded(_plain(value)) for key, value in dataset.attrs.items()}
        info["metrics"] = {key: _plain(value) for key, value in dataset.metrics.items()}
    print(_strict_json(info, indent=2, sort_keys=True, default=str))
    return 0


def cmd_metrics(args) -> int:
    from envsuite.data import load_dataset

    from datagen.metrics import dataset_metrics, format_table

    reference = load_dataset(_resolve(args.reference, args.out), in_memory=True) if args.reference else None
    rows = []
    for id_or_path in args.ids:
        with _open_for_reading(_resolve(id_or_path, args.out)) as dataset:
            rows.append(dataset_metrics(dataset, reference, bins=args.bins))
    import math

    columns = [("dataset_id", "dataset", "s"), ("episodes", "episodes", "d"), ("steps", "steps", "d"),
               ("return_mean", "mean return", ".1f")]
    # D4RL's normalized score and TQ need reference scores, which MoCap datasets do not have
    d4rl = any(not math.isnan(row.get("d4rl_score", math.nan)) for row in rows)
    if d4rl:
        columns += [("d4rl_score", "normalized score", ".1f"), ("tq", "TQ", ".3f")]
    mocap = any("normalized_episode_length" in row for row in rows)
    if mocap:
        columns += [("normalized_episode_length", "norm. length", ".3f"), ("normalized_return", "norm. return", ".3f")]
    if any("win_rate" in row for row in rows):
        columns.append(("win_rate", "win rate", ".3f"))
    android = any("action_match" in row for row in rows)
    if android:
        columns += [("success_rate", "success", ".3f"), ("action_match", "action match", ".3f")]
    if reference is not None:
        columns.append(("saco", "SACo", ".3f"))
    if args.json:
        print(_strict_json(rows, indent=2))
    else:
        print(format_table(rows, columns))
        print("mean return over complete episodes" + ("; normalized score = 100 * (R - random) / (expert - random), "
              "D4RL's; TQ = (mean R - random) / (expert - random)" if d4rl else ""))
        if mocap:
            print("norm. length / norm. return: MoCapAct's normalized episode length and return "
                  "(1 = tracked to the end of the snippet), mean over complete episodes")
        if android:
            print("success: episodes whose task's check turned true; action match: AitW's action matching of "
                  "each stored action against the scripted expert's label (infos/expert_*)")
        if reference is not None:
            print(f"SACo: unique digitised (state, action) pairs / those of {reference.dataset_id} "
                  f"({rows[0]['saco_bins']} bins per dimension, limits from the reference)")
    return 0


def cmd_verify(args) -> int:
    from envsuite.data import verify_dataset

    for id_or_path in args.ids:
        report = verify_dataset(_resolve(id_or_path, args.out))
        print(f"ok  {report['path']}  steps={report['total_steps']} episodes={report['total_episodes']} "
              f"sha256={report['content_sha256']}")
    return 0


def cmd_train_policy(args) -> int:
    from envsuite import paths
    from training.locomotion.experts import TRAINERS, train_and_save

    if args.env not in TRAINERS:
        raise UsageError(f"unknown env {args.env!r} for train-policy; choose from {', '.join(TRAINERS)}")
    out = Path(args.out) if args.out else paths.assets_dir() / "locomotion"
    scores = train_and_save(args.env, out, seed=args.seed, workers=args.workers, log=lambda m: print(m, flush=True))
    print(json.dumps(scores, indent=2))
    return 0


def cmd_evaluate_policy(args) -> int:
    import numpy as np

    from envsuite import paths
    from training.locomotion.ars import evaluate_random
    from training.locomotion.experts import EVAL_SEED_BASE, TRAINERS, env_id, evaluate_policy, load_policy

    if args.env not in TRAINERS:
        raise UsageError(f"unknown env {args.env!r} for evaluate-policy; choose from {', '.join(TRAINERS)}")
    if args.episodes < 1:
        raise UsageError(f"--episodes must be >= 1, got {args.episodes}")
    gym_id = env_id(args.env)
    if args.kind == "random":
        returns, lengths = evaluate_random(gym_id, args.episodes)
    else:
        policy = load_policy(paths.asset_path("locomotion", f"{args.env}_{args.kind}.npz"))
        returns, lengths = evaluate_policy(policy, gym_id, args.episodes, args.workers)
    print(f"{gym_id} {args.kind}: mean return {returns.mean():.1f} +- {returns.std():.1f} over {args.episodes} episodes "
          f"(env seeds {EVAL_SEED_BASE}..{EVAL_SEED_BASE + args.episodes - 1}), mean length {np.mean(lengths):.0f}")
    return 0


def cmd_evaluate_tracking(args) -> int:
    from datagen.mocap import evaluate_tracking
    from envsuite.registry import MOCAP_CLIPS

    if args.episodes < 1:
        raise UsageError(f"--episodes must be >= 1, got {args.episodes}")
    if not 0.0 <= args.action_noise < 1.0:
        raise UsageError(f"--action-noise must be in [0, 1), got {args.action_noise}")
    if args.workers < 1:
        raise UsageError(f"--workers must be >= 1, got {args.workers}")
    try:
        planner = json.loads(args.planner) if args.planner else {}
    except ValueError as error:
        raise UsageError(f"--planner must be a JSON object of TrackingMPC options, e.g. '{{\"samples\": 4}}': {error}") from None
    if not isinstance(planner, dict):
        raise UsageError("--planner must be a JSON object of TrackingMPC options, e.g. '{\"samples\": 4}'")
    options = dict(action_noise=args.action_noise, seed=args.seed, planner=planner, workers=args.workers,
                   progress=not args.quiet)
    if args.subset is not None:
        if args.clips:
            raise UsageError("give committed clips or --subset (library clips), not both")
        return _evaluate_library_tracking(args, dict(options, resume=args.resume))
    if args.resume is not None:
        raise UsageError("--resume goes with --subset (a library evaluation)")
    clips = args.clips or list(MOCAP_CLIPS)
    unknown = [clip for clip in clips if clip not in MOCAP_CLIPS]
    if unknown:
        raise UsageError(f"unknown clips {unknown}; the committed clips are {', '.join(MOCAP_CLIPS)}; "
                         "library clips go with --subset")
    print(f"tracking expert, {args.episodes} episode(s) per snippet from its start and from random starts, "
          f"action noise {args.action_noise}, seed {args.seed}")
    for clip in clips:
        try:
            result = evaluate_tracking(list(MOCAP_CLIPS[clip][1]), args.episodes, **options)
        except (TypeError, ValueError) as error:
            raise UsageError(f"--planner: {error}") from None
        lengths, random = result["normalized_episode_length"], result["random_start"]
        parts = [f"{clip}: normalized episode length {lengths.mean():.3f} (min {lengths.min():.3f}) over {len(lengths)}"]
        for label, chosen in (("start", ~random), ("random start", random)):
            parts.append(f"{label} {lengths[chosen].mean():.3f}")
        parts.append(f"normalized return {result['normalized_return'].mean():.3f}")
        parts.append(f"{1e3 * result['seconds_per_step']:.0f} ms per step")
        print("; ".join(parts))
    return 0


def _tracking_rows(result, group_of) -> list[dict]:
    """Per group (a clip, a category): episodes, mean normalized episode length (all, snippet starts,
    random starts) and mean normalized return, in the order the groups first appear."""
    import numpy as np

    from envsuite.mocap.snippets import Snippet

    lengths, returns, random = result["normalized_episode_length"], result["normalized_return"], result["random_start"]
    groups = np.asarray([group_of(Snippet.from_id(s).clip) for s in result["snippet_id"]])
    rows = []
    for group in dict.fromkeys(groups):
        chosen = groups == group
        rows.append({"name": str(group), "episodes": int(chosen.sum()),
                     "normalized_episode_length": float(lengths[chosen].mean()),
                     "snippet_start": float(lengths[chosen & ~random].mean()) if (chosen & ~random).any() else None,
                     "random_start": float(lengths[chosen & random].mean()) if (chosen & random).any() else None,
                     "normalized_return": float(returns[chosen].mean())})
    return rows


def _evaluate_library_tracking(args, options) -> int:
    """evaluate-tracking --subset S: every clip of a library subset, snippet by snippet (MoCapAct's way),
    reported per clip and per category (mean over the episodes of each), and over the whole subset."""
    from datagen.mocap import ResumeFileError, evaluate_tracking
    from envsuite.mocap import library

    try:
        ids = library.resolve(args.subset)
    except library.LibraryError as error:
        raise UsageError(str(error)) from None
    category = {r.id: r.category for r in library.library()}
    try:
        result = evaluate_tracking(clips=ids, episodes=args.episodes, **options)
    except ResumeFileError as error:
        raise UsageError(f"--resume: {error}") from None
    except (TypeError, ValueError) as error:
        raise UsageError(f"--planner: {error}") from None
    lengths = result["normalized_episode_length"]
    summary = {"subset": args.subset, "clips": len(ids), "episodes": len(lengths), "steps": int(result["steps"]),
               "normalized_episode_length": float(lengths.mean()),
               "normalized_return": float(result["normalized_return"].mean()),
               "ms_per_step": 1e3 * result["seconds_per_step"], "planner": result["planner"],
               "action_noise": args.action_noise, "seed": args.seed, "episodes_per_snippet_and_start": args.episodes,
               "per_category": _tracking_rows(result, category.get), "per_clip": _tracking_rows(result, str)}
    if args.json:
        print(_strict_json(summary, indent=1))
        return 0
    print(f"tracking expert on library subset {args.subset!r}: {len(ids)} clips, {len(lengths)} episodes "
          f"({args.episodes} per snippet from its start and from a random start), {result['steps']:,} steps, "
          f"{summary['ms_per_step']:.0f} ms per step; normalized episode length {summary['normalized_episode_length']:.3f}, "
          f"normalized return {summary['normalized_return']:.3f}")

    def table(title, rows):
        print(f"\n| {title} | episodes | normalized episode length | snippet starts | random starts | normalized return |")
        print("|---|---|---|---|---|---|")
        for row in rows:
            starts = [f"{row[k]:.3f}" if row[k] is not None else "" for k in ("snippet_start", "random_start")]
            print(f"| {row['name']} | {row['episodes']} | {row['normalized_episode_length']:.3f} | {starts[0]} | "
                  f"{starts[1]} | {row['normalized_return']:.3f} |")

    table("category", summary["per_category"])
    table("clip", summary["per_clip"])
    return 0


def cmd_evaluate_android(args) -> int:
    from datagen.android import evaluate_expert
    from datagen.metrics import format_table
    from envsuite.android.env import TASK_SETS

    task_sets = args.task_sets or list(TASK_SETS)
    unknown = [name for name in task_sets if name not in TASK_SETS and not Path(name).is_file()]
    if unknown:
        raise UsageError(f"unknown task sets {unknown}: give {', '.join(TASK_SETS)} or the path of an instruction file")
    if args.split is not None and any(name not in TASK_SETS for name in task_sets):
        raise UsageError("--split needs a named task set (general, webshop); an instruction file has no split")
    if not 0.0 <= args.epsilon < 1.0:
        raise UsageError(f"--epsilon must be in [0, 1), got {args.epsilon}")
    for name in task_sets:
        result = evaluate_expert(name, epsilon=args.epsilon, seed=args.seed, progress=not args.quiet, split=args.split)
        rows = [{"family": family, "episodes": len(successes), "solved": int(sum(successes)),
                 "success": sum(successes) / len(successes)} for family, successes in sorted(result["families"].items())]
        rows.append({"family": "all", "episodes": result["episodes"], "solved": result["solved"],
                     "success": result["solved"] / result["episodes"]})
        print(f"{name}: the scripted expert on every task of {result['file']}, epsilon {args.epsilon}, "
              f"seed {args.seed}: {result['steps']} steps, {result['steps_per_second']:.0f} env steps/s")
        print(format_table(rows, [("family", "family", "s"), ("episodes", "episodes", "d"), ("solved", "solved", "d"),
                                  ("success", "success", ".3f")]))
        if result["unparsed"]:
            print(f"{len(result['unparsed'])} of {result['episodes']} lines could not be parsed into tasks and count "
                  "as failures (family 'unparsed'):")
            for line in result["unparsed"]:
                print(f"  line {line['line']}: {line['text']!r}: {line['reason']}")
    return 0


def cmd_mocap_clips(args) -> int:
    from datagen.metrics import format_table
    from envsuite.mocap import library as mocap_library

    if args.to and not args.export:
        raise UsageError("--to needs --export SUBSET (the subset or clip ids to write)")
    if args.export:
        if not args.to:
            raise UsageError("--export SUBSET needs --to FILE (the dm_control-format clip file to write)")
        wanted = args.export if len(args.export) > 1 else args.export[0]  # clip ids, or one subset or id
        try:
            written = mocap_library.export(wanted, args.to, overwrite=args.overwrite)
        except mocap_library.LibraryError as error:
            raise UsageError(str(error)) from None
        except FileExistsError as error:
            raise UsageError(f"{error}; pass --overwrite to replace it") from None
        print(f"wrote {written}: {len(mocap_library.resolve(wanted))} clips in dm_control's clip format "
              "(MultiClipMocapTracking loads it)")
        return 0
    try:
        records = mocap_library.library(args.subset)
    except mocap_library.LibraryError as error:
        raise UsageError(str(error)) from None
    if args.json:
        print(json.dumps([record.as_dict() for record in records], indent=1, allow_nan=False))
        return 0
    rows = [{"id": r.id, "category": r.category, "seconds": r.duration_s, "snippets": len(r.snippets),
             "skating": r.quality["foot_skating"], "flight": r.quality["flight_fraction"],
             "description": r.description} for r in records]
    print(format_table(rows, [("id", "id", "s"), ("category", "category", "s"), ("seconds", "seconds", ".1f"),
                              ("snippets", "snippets", "d"), ("skating", "skating m/s", ".3f"),
                              ("flight", "flight", ".3f"), ("description", "description", "s")]))
    minutes = sum(r.duration_s for r in records) / 60
    print(f"{len(records)} clips, {sum(len(r.snippets) for r in records)} snippets, {minutes:.1f} min of motion "
          f"(subsets: {', '.join(mocap_library.subsets())})")
    return 0


def cmd_export_aitw(args) -> int:
    from envsuite.android.export import export_aitw
    from envsuite.data import load_dataset

    with load_dataset(_resolve(args.id, args.out)) as dataset:
        folder = export_aitw(dataset, args.to, episodes=args.episodes, progress=not args.quiet)
    print(folder)
    return 0


def cmd_render(args) -> int:
    from datagen.render import FRAME_RATES, episode_frames, use_cpu_rendering, write_video
    from envsuite.data import DatasetError, load_dataset

    if not args.out.lower().endswith((".gif", ".mp4")):
        raise UsageError(f"--out must end in .gif or .mp4, got {args.out!r}")
    if args.max_frames < 1 or args.size < 32:
        raise UsageError("--max-frames must be >= 1 and --size >= 32")
    use_cpu_rendering()  # before anything imports mujoco
    with load_dataset(_resolve(args.id, args.out_root)) as dataset:
        if not 0 <= args.episode < dataset.total_episodes:
            raise UsageError(f"--episode {args.episode} is outside the {dataset.total_episodes} episodes of "
                             f"{dataset.dataset_id}")
        try:
            frames = episode_frames(dataset, args.episode, max_frames=args.max_frames, size=args.size)
        except ValueError as error:  # the file's env id or kwargs are not envsuite's own (render.py)
            raise DatasetError(f"cannot replay {dataset.dataset_id} from {dataset.path}: {error}") from None
        path = write_video(frames, args.out, args.fps or FRAME_RATES.get(dataset.family, 10))
    print(f"{path}  ({len(frames)} frames)")
    return 0


def cmd_card(args) -> int:
    from datagen.cards import write_card
    from datagen.render import use_cpu_rendering
    from envsuite.data import load_dataset

    use_cpu_rendering()  # the StarCraft / Android pictures may replay an episode
    path = Path(_resolve(args.id, args.out))
    reference = load_dataset(_resolve(args.reference, args.out), in_memory=True) if args.reference else None
    with _open_for_reading(path) as dataset:
        folder = Path(args.to) if args.to else path.with_name(f"{path.stem}-card")
        print(write_card(dataset, folder, reference=reference) / "README.md")
    return 0


def _decoded(value):
    """Attributes that hold JSON (spaces, recipe, policies) shown as structure, not as a quoted string."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            value = json.loads(value)
        except ValueError:
            return value
        if isinstance(value, dict):
            return {key: _decoded(item) for key, item in value.items()}
    return value


def _json_safe(value):
    """`value` with numpy values as Python ones and NaN / infinities as None (JSON's null): JSON has no
    NaN, and strict parsers (JavaScript's JSON.parse, jq) refuse Python's `NaN` token."""
    import math

    value = _plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


def _strict_json(value, default=None, **kwargs) -> str:
    """JSON text that every parser reads: a missing value (NaN) is null, never `NaN`."""
    if default is not None:  # objects json cannot encode, made encodable before the NaN pass
        value = json.loads(json.dumps(_json_safe(value), default=default))
    return json.dumps(_json_safe(value), allow_nan=False, **kwargs)


def _plain(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode()
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="envsuite-datagen", description="Generate, inspect and verify envsuite datasets.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="every dataset with its env id, reference scores, sizes and whether it is generated")
    p.add_argument("--out", default=None, help="dataset root to look in (default $ENVSUITE_DATA_DIR or ~/.envsuite/datasets)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("generate", help="roll out a recipe and write its dataset")
    p.add_argument("ids", nargs="+", metavar="ID", help="dataset id, e.g. locomotion/hopper-medium-v0")
    p.add_argument("--size", default="small", help="small (a few thousand steps), full (1M) or a step count")
    p.add_argument("--workers", type=int, default=1, help="worker processes (the data is the same for any count)")
    p.add_argument("--out", default=None, help="dataset root (default $ENVSUITE_DATA_DIR or ~/.envsuite/datasets)")
    p.add_argument("--seed", type=int, default=None, help="override the recipe's seed")
    p.add_argument("--overwrite", action="store_true", help="regenerate even if the dataset exists")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--backend", choices=("local", "ray"), default="local",
                   help="local worker processes, or shards as Ray tasks (pip install 'envsuite[ray]')")
    p.add_argument("--address", default=None, help="with --backend ray: a running Ray cluster (default: a local Ray)")
    p.set_defaults(func=cmd_generate)

    for name, func, help_text in (("info", cmd_info, "attributes and stored metrics of a dataset"),):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("id", metavar="ID|PATH")
        p.add_argument("--out", default=None, help="dataset root to look ids up in")
        p.set_defaults(func=func)

    p = sub.add_parser("metrics", help="episodes, steps, returns, normalized score, TQ and SACo of datasets")
    p.add_argument("ids", nargs="+", metavar="ID|PATH")
    p.add_argument("--reference", default=None, metavar="ID|PATH", help="reference dataset for SACo")
    p.add_argument("--bins", type=int, default=None, help="SACo bins per dimension")
    p.add_argument("--out", default=None, help="dataset root to look ids up in")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser("verify", help="recompute content hashes and check structure")
    p.add_argument("ids", nargs="+", metavar="ID|PATH")
    p.add_argument("--out", default=None, help="dataset root to look ids up in")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("train-policy", help="train the behaviour policies of a locomotion env (ARS or PPO; writes assets)")
    p.add_argument("env", help="hopper, halfcheetah, walker2d or ant")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", default=None, help="folder for the .npz files (default assets/locomotion)")
    p.set_defaults(func=cmd_train_policy)

    p = sub.add_parser("evaluate-policy", help="mean return of a committed locomotion policy over seeded episodes")
    p.add_argument("env", help="hopper, halfcheetah, walker2d or ant")
    p.add_argument("--kind", choices=("expert", "medium", "random"), default="expert")
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_evaluate_policy)

    p = sub.add_parser("evaluate-tracking", help="normalized episode length of the MoCap tracking expert per clip")
    p.add_argument("clips", nargs="*", metavar="CLIP", help="committed clips (default: all)")
    p.add_argument("--subset", help="a subset of the shipped MoCap library (see mocap-clips), reported per clip and category")
    p.add_argument("--workers", type=int, default=1, help="processes to spread the episodes over")
    p.add_argument("--planner", help="TrackingMPC options as JSON, e.g. '{\"samples\": 4}'")
    p.add_argument("--json", action="store_true", help="--subset: the figures as JSON")
    p.add_argument("--resume", metavar="FILE", help="--subset: keep every finished episode in FILE (JSON lines) and "
                   "roll out only those not yet there, so a long evaluation can be filled over several sittings")
    p.add_argument("--episodes", type=int, default=4, help="episodes per snippet and start kind")
    p.add_argument("--action-noise", type=float, default=0.0, help="Gaussian action noise (MoCapAct: 0.1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_evaluate_tracking)

    p = sub.add_parser("evaluate-android", help="success rate of the Android scripted expert per task family")
    p.add_argument("task_sets", nargs="*", metavar="TASK_SET",
                   help="general, webshop (default: both) or the path of an instruction file (one per line)")
    p.add_argument("--split", choices=("train", "test"), default=None,
                   help="the disjoint train or test split of a named set (default: DigiRL's whole train file)")
    p.add_argument("--epsilon", type=float, default=0.0, help="chance of a random UI action instead of the expert's")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_evaluate_android)

    p = sub.add_parser("card", help="a Markdown data card with plots (provenance, composition, metrics, uses)")
    p.add_argument("id", metavar="ID|PATH")
    p.add_argument("--to", default=None, metavar="DIR", help="folder to create (default: <dataset>-card next to it)")
    p.add_argument("--reference", default=None, metavar="ID|PATH", help="reference dataset for SACo")
    p.add_argument("--out", default=None, help="dataset root to look ids up in")
    p.set_defaults(func=cmd_card)

    p = sub.add_parser("render", help="an episode of a dataset as a GIF or MP4 (replayed in its env when needed)")
    p.add_argument("id", metavar="ID|PATH")
    p.add_argument("--episode", type=int, default=0)
    p.add_argument("--out", required=True, metavar="FILE", help="file.gif or file.mp4")
    p.add_argument("--max-frames", type=int, default=300, help="at most this many frames, spread over the episode")
    p.add_argument("--size", type=int, default=320, help="frame size in pixels for replayed MuJoCo envs")
    p.add_argument("--fps", type=int, default=None, help="frames per second (default: the family's)")
    p.add_argument("--out-root", default=None, help="dataset root to look ids up in")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("mocap-clips", help="the shipped MoCap library's clips (or a subset), or --export one as a clip file")
    p.add_argument("subset", nargs="?", default=None, help="a subset (all, walk_tiny, locomotion_small, a category)")
    p.add_argument("--json", action="store_true", help="the clip records as JSON")
    p.add_argument("--export", nargs="+", metavar="SUBSET", help="a subset name or clip ids to write with --to")
    p.add_argument("--to", help="the dm_control-format clip file --export writes")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --to file")
    p.set_defaults(func=cmd_mocap_clips)

    p = sub.add_parser("export-aitw", help="an Android dataset as AitW-style per-step JSONL + PNG screens")
    p.add_argument("id", metavar="ID|PATH")
    p.add_argument("--to", required=True, metavar="DIR", help="folder to create (steps.jsonl, images/)")
    p.add_argument("--episodes", type=int, nargs="+", default=None, metavar="I", help="episode indices (default: all)")
    p.add_argument("--out", default=None, help="dataset root to look ids up in")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_export_aitw)
    return parser


def _one_line(text: str) -> str:
    """An error message on one line: control characters (a newline inside an argument) escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def os_error_message(error: OSError) -> str:
    """What went wrong with which file, and what to do about it."""
    import errno

    where = f" {error.filename}" if error.filename else ""
    advice = {
        errno.EACCES: "check the folder's permissions (ls -ld) or choose another with --out / --to",
        errno.EPERM: "check the folder's permissions (ls -ld) or choose another with --out / --to",
        errno.EROFS: "the filesystem is read-only: choose another folder",
        errno.ENOSPC: "the disk is full: free space or choose another folder",
        errno.EDQUOT: "the disk quota is exceeded: free space or choose another folder",
    }.get(error.errno, "check the path and try again")
    return f"{error.strerror or error}:{where}; {advice}"


def main(argv=None) -> int:
    from datagen.generate import GenerationBusyError, GenerationError
    from datagen.runner import WorkerDiedError
    from envsuite.data import DatasetError
    from envsuite.paths import InvalidIdError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.func(args)
    except (UsageError, RecipeError, InvalidIdError) as error:
        message = _one_line(str(error))
        print(message if message.startswith("envsuite-datagen") else f"envsuite-datagen: error: {message}",
              file=sys.stderr)
        return 2
    except (DatasetError, FileNotFoundError, FileExistsError, GenerationBusyError, GenerationError,
            WorkerDiedError) as error:
        print(f"envsuite-datagen: {_one_line(str(error))}", file=sys.stderr)
        return 1
    except OSError as error:  # an unwritable --to / --out folder, a full disk, ...: one line, no traceback
        print(f"envsuite-datagen: {_one_line(os_error_message(error))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("envsuite-datagen: interrupted; rerun the same command to continue", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
