"""Worker processes that each own a batched locomotion engine, for the policy trainers.

Where it sits: used by training.locomotion.ars and training.locomotion.ppo to roll out many
episodes in parallel. A task function runs in a worker as `function(stepper, task)` where stepper is
that worker's LocomotionStepper (envsuite/locomotion/batched.py); results come back in task order,
so a trainer that splits its episodes into tasks gets the same numbers for any worker count.
"""

from __future__ import annotations

import multiprocessing

MAX_EPISODE_STEPS = 1000  # the registered time limit of the four locomotion envs
EVAL_SEED_BASE = 1_000_000  # trainers evaluate on env seeds EVAL_SEED_BASE + i, disjoint from training seeds

_worker_stepper = None  # this worker process's LocomotionStepper


def _init_worker(env_id: str, env_count: int) -> None:
    from envsuite.locomotion.batched import LocomotionStepper, engine_name
    from envsuite.processes import one_blas_thread

    one_blas_thread()  # one worker per core (envsuite/processes.py)
    global _worker_stepper
    _worker_stepper = LocomotionStepper(engine_name(env_id), env_count, MAX_EPISODE_STEPS)


def _run_task(function_and_task):
    function, task = function_and_task
    return function(_worker_stepper, task)


class RolloutPool:
    """`workers` spawned processes, each with a stepper of `envs_per_worker` envs of `env_id`."""

    def __init__(self, env_id: str, workers: int, envs_per_worker: int):
        self.workers = max(1, workers)
        self.envs_per_worker = envs_per_worker
        context = multiprocessing.get_context("spawn")  # fork would copy MuJoCo/EGL state of the parent
        self.pool = context.Pool(self.workers, _init_worker, (env_id, envs_per_worker))

    def map(self, function, tasks: list) -> list:
        """[function(stepper, task) for task in tasks], computed in the workers, in task order."""
        return self.pool.map(_run_task, [(function, task) for task in tasks])

    def close(self) -> None:
        self.pool.close()
        self.pool.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def split_evenly(count: int, parts: int) -> list[slice]:
    """Contiguous slices covering range(count) in at most `parts` pieces of near-equal size."""
    chunk = -(-count // max(1, parts))
    return [slice(start, min(start + chunk, count)) for start in range(0, count, chunk)] if count else []
