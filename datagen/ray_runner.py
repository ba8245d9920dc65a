"""Ray backend of `envsuite-datagen generate --backend ray [--address ADDR]`: shards as Ray tasks.

Where it sits: beside the local runner (datagen/runner.py), behind the same ShardRunner loop; the
`ray` optional extra (`pip install "envsuite[ray]"`). Each missing shard is one Ray task that rolls
its episodes out (runner.rollout_shard, the same function the local workers run) and returns them;
this driver writes each returned shard atomically into the shard folder, then the dataset in
episode order. A shard's content is a function of (recipe, shard index) alone, so the dataset and
its content hash are the local backend's, whatever the cluster. Workers need envsuite installed and
nothing of the driver's disk: on a cluster, only the driver writes files.

Resume is the local runner's: shards already in the shard folder are not recomputed, so a rerun
after a crash (of the driver or of any task) finishes the dataset.
"""

from __future__ import annotations

from pathlib import Path

from datagen.recipes import Recipe
from datagen.runner import ShardRunner, WorkerDiedError, rollout_shard, save_shard

INSTALL_HINT = 'pip install "envsuite[ray]"'


def _import_ray():
    try:
        import ray
    except ImportError as error:
        raise ImportError(f"--backend ray needs Ray ({error}): {INSTALL_HINT}") from error
    return ray


class RayRunner(ShardRunner):
    """Shards computed as Ray tasks, `workers` in flight per worker slot ahead of the writer.

    address: a running cluster ("auto", "ray://head:10001", ...); None starts (or joins) a local Ray
    with `workers` CPUs. A Ray this process had already initialised is used as it is.
    """

    def __init__(self, recipe: Recipe, final_path: Path, workers: int = 1, address: str | None = None):
        ray = _import_ray()
        super().__init__(recipe, final_path, workers)
        self._ray = ray
        self._started_ray = False
        if not ray.is_initialized():
            if address is None:
                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(address=address, log_to_driver=False)
            self._started_ray = True
        self._task = ray.remote(num_cpus=1, max_retries=0)(rollout_shard)
        self._in_flight: list = []

    def _start_shard(self, shard: int, path: Path):
        reference = self._task.remote(self.recipe, shard)
        self._in_flight.append(reference)
        return reference

    def _finish_shard(self, shard: int, reference) -> None:
        ray = self._ray
        try:
            episodes = ray.get(reference)
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError,
                ray.exceptions.RayActorError) as error:  # a killed task worker or node
            raise WorkerDiedError(f"the Ray task of shard {shard} died ({type(error).__name__}); the "
                                  f"{self.completed_shards()} finished shards are kept in {self.shard_dir}: rerun "
                                  "the same command to resume") from None
        except ray.exceptions.RayTaskError as error:
            raise error.as_instanceof_cause() from None  # the shard's own exception, as the local backend raises it
        finally:
            if reference in self._in_flight:
                self._in_flight.remove(reference)
        save_shard(self.shard_path(shard), episodes)

    def close(self, terminate: bool = False):
        for reference in self._in_flight:
            self._ray.cancel(reference, force=True)
        self._in_flight = []
        if self._started_ray:
            self._ray.shutdown()
            self._started_ray = False
