"""Worker processes use one BLAS thread each (envsuite/processes.py): with one worker per core, BLAS's
default of one thread per core in every worker oversubscribes the cores (the multi-clip policy's
rollouts ran 3.5x slower). Oracle: threadpoolctl's report of the thread pools loaded in the worker."""

import multiprocessing
import os

import numpy as np


def _pools_after_runner_init(driver_pid):
    from threadpoolctl import threadpool_info

    from datagen.runner import worker_init

    worker_init(driver_pid)
    np.ones((64, 64)) @ np.ones(64)  # BLAS loaded and used
    return [(pool["internal_api"], pool["num_threads"]) for pool in threadpool_info()]


def _pools():
    from threadpoolctl import threadpool_info

    np.ones((64, 64)) @ np.ones(64)
    return [(pool["internal_api"], pool["num_threads"]) for pool in threadpool_info()]


def test_a_datagen_worker_limits_blas_to_one_thread():
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        pools = pool.apply(_pools_after_runner_init, (os.getpid(),))
    assert any(api in ("openblas", "mkl", "blis") for api, _ in pools), pools
    assert all(threads == 1 for _, threads in pools), pools


def test_one_blas_thread_as_a_pool_initializer_limits_the_workers():
    """The initializer of evaluate-tracking's and the trainers' pools."""
    from envsuite.processes import one_blas_thread

    with multiprocessing.get_context("spawn").Pool(1, one_blas_thread) as pool:
        pools = pool.apply(_pools)
    assert pools and all(threads == 1 for _, threads in pools), pools
