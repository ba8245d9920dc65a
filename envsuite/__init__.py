"""envsuite: reinforcement-learning environments that come with reproducible offline datasets.

`import envsuite` registers every env id with gymnasium (see envsuite/registry.py), so that
`gymnasium.make("envsuite/hopper-medium-v0")` works, and exports the entry points:

- `envsuite.make(id, **kwargs)`       = gymnasium.make for envsuite ids
- `envsuite.load_dataset(id_or_path)` -> envsuite.data.Dataset
- `envsuite.catalog()`                -> every env and dataset with family, spaces, reference scores

Architecture (DESIGN.md section 1): families (locomotion, ...) -> data, metrics, policies, registry.
"""

from __future__ import annotations

import os

# MuJoCo renders offscreen; without a display GLFW cannot start, so default to EGL (Mesa on CPU).
# Must be set before gymnasium's MuJoCo renderer is imported. A user's own MUJOCO_GL wins.
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("MUJOCO_GL", "egl")

import gymnasium  # noqa: E402

from envsuite.registry import catalog, register_all  # noqa: E402

__version__ = "0.1.0"


def make(env_id: str, **kwargs) -> gymnasium.Env:
    """gymnasium.make for envsuite ids; the `envsuite/` prefix may be left out."""
    if "/" not in env_id:
        env_id = f"envsuite/{env_id}"
    return gymnasium.make(env_id, **kwargs)


def load_dataset(id_or_path, **kwargs):
    """Open a dataset by id (`locomotion/hopper-medium-v0`), env id (`envsuite/hopper-medium-v0`) or path."""
    from envsuite.data import load_dataset as _load

    text = str(id_or_path)
    if text.startswith("envsuite/"):
        for entry in registry.env_entries():
            if entry.env_id == text and entry.dataset_id is not None:
                id_or_path = entry.dataset_id
                break
    return _load(id_or_path, **kwargs)


from envsuite import registry  # noqa: E402  (after make/load_dataset so the names read top-down)

register_all()

__all__ = ["make", "load_dataset", "catalog", "registry", "__version__"]
