"""Shared construction of the four locomotion envs (envsuite/locomotion/{hopper,...}.py).

Each env file subclasses gymnasium's own v5 class, so dynamics, observations, rewards and
termination are gymnasium's exactly (the parity test in tests/locomotion checks it), and adds two
things through `make_locomotion_env_class`: action validation (DESIGN.md section 2) and the D4RL
dataset API of `envsuite.common.DatasetEnvMixin`.
"""

from __future__ import annotations

from gymnasium import utils

from envsuite.common import DatasetEnvMixin, validate_box_action
from envsuite.locomotion._mujoco_warnings import gymnasium_model_loading


class LocomotionEnvMixin(DatasetEnvMixin):
    """Mix in before a gymnasium MuJoCo v5 env class: `class HopperEnv(LocomotionEnvMixin, hopper_v5.HopperEnv)`."""


    def __init__(self, *args, dataset_id=None, ref_min_score=None, ref_max_score=None, **kwargs):
        with gymnasium_model_loading():
            super().__init__(*args, **kwargs)
        self._init_dataset(dataset_id, ref_min_score, ref_max_score)
        # "human" is left out of the render modes: it needs a display (a GLFW window), which
        # servers and CI lack, and check_env opens every declared mode. For a window, wrap an
        # rgb_array env in gymnasium.wrappers.HumanRendering.
        render_modes = [mode for mode in self.metadata["render_modes"] if mode != "human"]
        self.metadata = {**self.metadata, "render_modes": render_modes}
        # gymnasium's EzPickle recorded only its own arguments; record ours too so that
        # copy/pickle (used by vector envs and multiprocessing) rebuilds the same env.
        utils.EzPickle.__init__(
            self, *args, dataset_id=dataset_id, ref_min_score=ref_min_score, ref_max_score=ref_max_score, **kwargs
        )

    def step(self, action):
        return super().step(validate_box_action(self._env_name(), self.action_space, action))
