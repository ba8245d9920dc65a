"""What every worker process of envsuite does first: use one core's worth of BLAS threads.

Where it sits: a leaf under the families and datagen (it imports only threadpoolctl). The process
pools of datagen (datagen/runner.py, the evaluation pool of datagen/mocap.py) and of the trainers
(training/) call `one_blas_thread()` in their worker initializer.

Why: numpy's OpenBLAS starts one thread per core in every process. With one worker per core, each
worker's matrix products (the multi-clip policy's layers) then run N threads on a core they share
with N - 1 other workers. Measured here (2 cores, two processes each stepping the multi-clip policy
in the tracking env): 290 steps/s each with BLAS's default threads, 990 with one thread.
"""

from __future__ import annotations


def one_blas_thread() -> None:
    """Limit this process's BLAS and OpenMP thread pools to one thread (for the rest of its life)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
