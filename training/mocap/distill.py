"""Distil the tracking expert into one multi-clip policy (MoCapAct's distillation), with PyTorch on CPU.

    python -m training.mocap.distill --subset locomotion_small [--hold-out-every 10] [--bc-episodes N]
        [--dagger-rounds R] [--dagger-episodes N] [--planner JSON] [--workers K] [--hidden 256 256]
        [--epochs E] [--out assets/mocap/multiclip_policy.npz] [--seed S] [--no-reference-prior] [--prior-only]

Where it sits: training/ (apart from the envs; the `train` extra brings torch). It writes the weights
file that envsuite.mocap.multiclip.MultiClipPolicy reads with numpy alone, and a JSON record of the
run beside it (every round's data size, loss and held-out tracking).

The recipe:
1. Snippets: every snippet of the library subset; every `hold_out_every`-th one (in the subset's
   order) is held out of training and only evaluated on.
2. Behaviour cloning: the expert (envsuite.mocap.expert.TrackingMPC) tracks the training snippets
   from their starts and from random starts, executing its mean action plus N(0, 0.1) noise
   (MoCapAct's act_noise); the data are the visited observations and the expert's mean actions.
3. DAgger rounds: the student drives (its own action executed), the expert labels every state the
   student visits with its mean action (it plans from the env's exact state), the labelled states
   join the data, and the student is trained again on all of it.
Training is mean-squared error on the expert's mean actions, Adam, full passes over the data. By
default the network learns only what the planner adds to the reference pose + feedback (the prior of
envsuite/mocap/multiclip.py, which is the same for every clip); --no-reference-prior learns all of it.
Episode i of a phase draws its snippet, start and noise from (seed, phase, i) alone, so a run is
the same for any worker count.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
ACT_NOISE = 0.1  # MoCapAct's act_noise for the expert's rollouts
OBS_CLIP = 5.0


def split_snippets(snippet_ids: list[str], hold_out_every: int) -> tuple[list[int], list[int]]:
    """(training, held-out) snippet indices: every hold_out_every-th snippet is held out (0 holds none out)."""
    if hold_out_every < 0 or hold_out_every == 1:
        raise ValueError(f"hold_out_every must be 0 (none) or >= 2, got {hold_out_every}")
    held = [i for i in range(len(snippet_ids)) if hold_out_every and i % hold_out_every == hold_out_every - 1]
    return [i for i in range(len(snippet_ids)) if i not in set(held)], held


_worker: dict = {}


def _env(env_kwargs: dict):
    from envsuite.mocap.tracking import CMUHumanoidTrackingEnv

    key = json.dumps(env_kwargs, sort_keys=True)
    if _worker.get("key") != key:
        _worker.update(key=key, env=CMUHumanoidTrackingEnv(**env_kwargs))
    return _worker["env"]


def _student(path: str):
    """The student of `path`, read once per worker process (every round writes its own file)."""
    from envsuite.mocap.multiclip import MultiClipPolicy

    if _worker.get("student_path") != path:
        _worker.update(student_path=path, student=MultiClipPolicy.load(path))
    return _worker["student"]


def rollout_episode(job) -> dict:
    """One episode: (env kwargs, planner, student file or None, snippet index, seed words, label) ->
    observations (T, D) float32, the expert's mean actions (T, 56) and the episode's tracking figures.
    With a student file the student's actions are executed (and, with label, the expert plans alongside
    from the student's states: DAgger's labels); otherwise the expert's plus ACT_NOISE, labelled with
    its own mean actions."""
    from envsuite.mocap.expert import TrackingMPC, run_episode

    env_kwargs, planner, student_path, snippet, seed_words, label_with_expert = job
    env = _env(env_kwargs)
    rng = np.random.default_rng(seed_words)
    steps = env.random_start_steps(snippet)
    random_start = bool(rng.integers(2)) and bool(steps)
    start = int(steps[rng.integers(len(steps))]) if random_start else env.references[snippet].snippet.start_step
    options = {"snippet": snippet, "start_step": start}
    expert = TrackingMPC(**planner)
    if student_path:
        result = run_episode(env, _student(student_path), rng, seed=int(rng.integers(2**31)),
                             options=options, labeller=expert if label_with_expert else None,
                             labeller_rng=np.random.default_rng(list(seed_words) + [1]))
        labels = result.get("expert_mean_actions")
    else:
        result = run_episode(env, expert, rng, action_noise=ACT_NOISE, seed=int(rng.integers(2**31)), options=options)
        labels = result["mean_actions"]
    summary = {"snippet": snippet, "random_start": random_start, "steps": len(result["rewards"]),
               "normalized_episode_length": result["metrics"]["normalized_episode_length"],
               "normalized_return": result["metrics"]["normalized_return"]}
    if label_with_expert:
        summary.update(observations=result["observations"].astype(np.float32), labels=labels.astype(np.float32))
    return summary


def run_episodes(jobs: list, workers: int, desc: str) -> list[dict]:
    from tqdm import tqdm

    results = []
    if workers > 1:
        from envsuite.processes import one_blas_thread

        with multiprocessing.get_context("spawn").Pool(workers, one_blas_thread) as pool:
            results = list(tqdm(pool.imap(rollout_episode, jobs), total=len(jobs), desc=desc, unit="episode"))
    else:
        results = [rollout_episode(job) for job in tqdm(jobs, desc=desc, unit="episode")]
    return results


def student_network(obs_dim: int, action_dim: int, hidden: tuple[int, ...]):
    """The torch twin of MultiClipPolicy's network (Linear + ELU per hidden layer, tanh output)."""
    import torch

    layers, size = [], obs_dim
    for width in hidden:
        layers += [torch.nn.Linear(size, width), torch.nn.ELU()]
        size = width
    layers += [torch.nn.Linear(size, action_dim), torch.nn.Tanh()]
    return torch.nn.Sequential(*layers)


def fit(network, observations: np.ndarray, labels: np.ndarray, obs_mean, obs_std, *, epochs: int, batch: int = 256,
        learning_rate: float = 3e-4, seed: int = 0) -> list[float]:
    """Mean-squared error on the labels, Adam; returns the mean loss of every epoch."""
    import torch

    torch.manual_seed(seed)
    x = torch.as_tensor(np.clip((observations - obs_mean) / obs_std, -OBS_CLIP, OBS_CLIP), dtype=torch.float32)
    y = torch.as_tensor(labels, dtype=torch.float32)
    optimiser = torch.optim.Adam(network.parameters(), lr=learning_rate)
    order_rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order = torch.as_tensor(order_rng.permutation(len(x)))
        total = 0.0
        for first in range(0, len(x), batch):
            rows = order[first:first + batch]
            loss = torch.mean((network(x[rows]) - y[rows]) ** 2)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(rows)
        losses.append(total / len(x))
    return losses


def to_policy(network, obs_mean, obs_std, metadata: dict, prior: dict | None = None):
    from envsuite.mocap.multiclip import MultiClipPolicy

    linears = [m for m in network if hasattr(m, "weight")]
    layers = [(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy()) for m in linears]
    return MultiClipPolicy(layers, obs_mean, obs_std, obs_clip=OBS_CLIP, metadata=metadata, prior=prior)


def network_targets(labels: np.ndarray, observations: np.ndarray, prior: dict | None) -> np.ndarray:
    """What the network learns: the labels, or with the reference-pose prior what the planner adds to it,
    within the residual's range [-1, 1] (beyond it the clipped action is the same)."""
    from envsuite.mocap.multiclip import prior_actions

    if prior is None:
        return labels
    return np.clip(labels - prior_actions(prior, observations), -1.0, 1.0).astype(np.float32)


def prior_only_policy(env, prior: dict, metadata: dict):
    """The reference-pose prior alone as a MultiClipPolicy (a network whose output is 0)."""
    from envsuite.mocap.multiclip import MultiClipPolicy

    obs_dim, action_dim = env.observation_space.shape[0], env.model.nu
    return MultiClipPolicy([(np.zeros((action_dim, obs_dim)), np.zeros(action_dim))], np.zeros(obs_dim),
                           np.ones(obs_dim), obs_clip=OBS_CLIP, metadata=metadata, prior=prior)


def evaluate_student(student_path: str, env_kwargs, planner, splits: dict, eval_episodes: int, seed: int, phase: int,
                     workers: int) -> dict:
    """{split name: mean normalized episode length of the student} over eval_episodes per snippet of each split."""
    evaluation = {}
    for name, chosen in splits.items():
        if chosen:
            runs = run_episodes(_jobs(env_kwargs, planner, student_path, chosen, eval_episodes * len(chosen), seed,
                                      phase, False), workers, f"evaluate {name}")
            evaluation[name] = float(np.mean([r["normalized_episode_length"] for r in runs]))
    return evaluation


def _jobs(env_kwargs, planner, student_path, snippets, count, seed, phase, label):
    return [(env_kwargs, planner, student_path, snippets[i % len(snippets)], [seed, phase, i], label)
            for i in range(count)]


def distill(subset, *, hold_out_every: int = 10, bc_episodes: int = 100, dagger_rounds: int = 2,
            dagger_episodes: int = 50, eval_episodes: int = 2, planner: dict | None = None, workers: int = 2,
            hidden=(256, 256), epochs: int = 30, seed: int = 0, reference_prior: bool = True, prior_only: bool = False,
            out=None, log=print) -> dict:
    """Train the multi-clip policy on a library subset; returns the run's record (and writes `out`). With
    the reference prior the record starts with the prior alone's figures ("prior_only"); prior_only=True
    stops there (no expert rollouts, no training, nothing written)."""
    if prior_only and not reference_prior:
        raise ValueError("prior_only evaluates the reference prior, which reference_prior=False turns off")
    import torch

    from envsuite.mocap import library
    from envsuite.mocap.expert import TrackingMPC, reference_pose_prior
    from envsuite.mocap.tracking import CMUHumanoidTrackingEnv

    torch.set_num_threads(max(1, workers))
    env_kwargs = {"clips": library.resolve(subset)}
    env = CMUHumanoidTrackingEnv(**env_kwargs)
    snippet_ids = [r.snippet.id for r in env.references]
    train_snippets, held_snippets = split_snippets(snippet_ids, hold_out_every)
    planner = dict(planner or {}, threads=1)
    prior = reference_pose_prior(env, TrackingMPC(**planner).feedback_gain) if reference_prior else None
    record = {"subset": subset, "snippets": len(snippet_ids), "held_out": [snippet_ids[i] for i in held_snippets],
              "planner": planner, "hidden": list(hidden), "epochs": epochs, "seed": seed,
              "reference_prior": bool(reference_prior), "rounds": []}
    begin = time.perf_counter()
    splits = {"train": train_snippets, "held_out": held_snippets}
    if prior is not None:
        # The figure a network has to beat: the prior alone (no network), on round 0's evaluation episodes.
        with tempfile.TemporaryDirectory(prefix="envsuite-distill-") as folder:
            path = prior_only_policy(env, prior, dict(record)).save(Path(folder) / "prior-only.npz")
            record["prior_only"] = evaluate_student(str(path), env_kwargs, planner, splits, eval_episodes, seed, 1000,
                                                    workers)
        log(json.dumps({"prior_only": record["prior_only"]}))
        if prior_only:
            return record
    results = run_episodes(_jobs(env_kwargs, planner, None, train_snippets, bc_episodes, seed, 0, True), workers,
                           "expert rollouts")
    observations = np.concatenate([r["observations"] for r in results])
    labels = np.concatenate([r["labels"] for r in results])
    obs_mean = observations.mean(axis=0)
    obs_std = np.maximum(observations.std(axis=0), 1e-3).astype(np.float32)  # constant observables stay finite
    network = student_network(observations.shape[1], labels.shape[1], tuple(hidden))
    out = Path(out) if out is not None else None
    with tempfile.TemporaryDirectory(prefix="envsuite-distill-") as folder:
        student_path = None
        for round_index in range(dagger_rounds + 1):
            if round_index:
                results = run_episodes(_jobs(env_kwargs, planner, student_path, train_snippets, dagger_episodes, seed,
                                             round_index, True), workers, f"DAgger round {round_index}")
                observations = np.concatenate([observations] + [r["observations"] for r in results])
                labels = np.concatenate([labels] + [r["labels"] for r in results])
            losses = fit(network, observations, network_targets(labels, observations, prior), obs_mean, obs_std,
                         epochs=epochs, seed=seed + round_index)
            policy = to_policy(network, obs_mean, obs_std, dict(record, rounds=None), prior=prior)
            student_path = str(policy.save(Path(folder) / f"student-round{round_index}.npz"))
            evaluation = evaluate_student(student_path, env_kwargs, planner, splits, eval_episodes, seed,
                                          1000 + round_index, workers)
            row = {"round": round_index, "data_steps": int(len(observations)), "final_loss": losses[-1],
                   "normalized_episode_length": evaluation, "seconds": round(time.perf_counter() - begin, 1)}
            record["rounds"].append(row)
            log(json.dumps(row))
        policy = to_policy(network, obs_mean, obs_std, dict(record), prior=prior)
    if out is not None:
        policy.save(out)
        out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    record["policy"] = policy
    return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subset", default="locomotion_small")
    parser.add_argument("--hold-out-every", type=int, default=10)
    parser.add_argument("--bc-episodes", type=int, default=100)
    parser.add_argument("--dagger-rounds", type=int, default=2)
    parser.add_argument("--dagger-episodes", type=int, default=50)
    parser.add_argument("--eval-episodes", type=int, default=2, help="per snippet, after every round")
    parser.add_argument("--planner", default="{}", help="TrackingMPC options as JSON")
    parser.add_argument("--workers", type=int, default=2)
    # 256 x 256: the weights (2,847 inputs) are about 3 MB, which the wheel's 60 MB budget holds
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-reference-prior", action="store_true",
                        help="learn the whole action, not only what the planner adds to the reference pose + feedback")
    parser.add_argument("--prior-only", action="store_true",
                        help="only evaluate the reference prior alone (no network) on the split, print it and stop")
    parser.add_argument("--out", default=str(REPO_ROOT / "assets" / "mocap" / "multiclip_policy.npz"))
    args = parser.parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("training needs PyTorch: pip install 'envsuite[train]'", file=sys.stderr)
        return 1
    distill(args.subset, hold_out_every=args.hold_out_every, bc_episodes=args.bc_episodes,
            dagger_rounds=args.dagger_rounds, dagger_episodes=args.dagger_episodes, eval_episodes=args.eval_episodes,
            planner=json.loads(args.planner), workers=args.workers, hidden=tuple(args.hidden), epochs=args.epochs,
            seed=args.seed, reference_prior=not args.no_reference_prior, prior_only=args.prior_only, out=args.out)
    if not args.prior_only:
        print(f"wrote {args.out} and {Path(args.out).with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
