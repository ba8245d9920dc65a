"""Silence one MuJoCo deprecation message while gymnasium's locomotion models compile.

Where it sits: used by the locomotion env classes (_dataset_env.py) and the batched engine
(batched.py) around model loading. gymnasium's half_cheetah.xml uses the compiler attribute
`settotalmass`, which MuJoCo 3.17 reports as deprecated on every load, printed to stdout and
appended to MUJOCO_LOG.TXT in the working directory: once per env and per datagen worker. The model
files are gymnasium's and must stay as they are (the envs reproduce gymnasium's exactly), so that
message is dropped; any other MuJoCo warning during loading becomes a Python RuntimeWarning.
"""

from __future__ import annotations

import contextlib
import warnings

import mujoco


def _handler(message: str) -> None:
    if "settotalmass" not in message:
        warnings.warn(f"MuJoCo: {message}", RuntimeWarning, stacklevel=2)


@contextlib.contextmanager
def gymnasium_model_loading():
    previous = mujoco.get_mju_user_warning()
    mujoco.set_mju_user_warning(_handler)
    try:
        yield
    finally:
        mujoco.set_mju_user_warning(previous)
