"""Vector entry points registered with gymnasium for `gymnasium.make_vec(..., "vector_entry_point")`.

gymnasium calls them with `num_envs`, `max_episode_steps` and the env kwargs; the batched engine is
in envsuite/locomotion/batched.py.
"""

from envsuite.locomotion.batched import BatchedLocomotionVectorEnv


def _maker(name):
    def make(num_envs: int = 1, max_episode_steps: int = 1000, **kwargs):
        return BatchedLocomotionVectorEnv(name, num_envs, max_episode_steps=max_episode_steps or 1000, **kwargs)

    make.__name__ = f"make_{name}_vector_env"
    make.__doc__ = f"A BatchedLocomotionVectorEnv of {name}."
    return make


make_hopper_vector_env = _maker("hopper")
make_halfcheetah_vector_env = _maker("halfcheetah")
make_walker2d_vector_env = _maker("walker2d")
make_ant_vector_env = _maker("ant")
