"""Fuzz every registered env with bad actions (hypothesis): NaN, inf, out-of-bounds, wrong shape and
wrong dtype. Each is a ValueError, except in-dtype out-of-bounds values where an env documents what
it does with them: the MuJoCo envs pass them on and MuJoCo clamps the control (oracle: the same step
with np.clip(action) gives the same observation), the Android stub clips touch points to the screen
(the same oracle). Never a crash of another kind, never a hang.

The dataset-carrying ids (envsuite/hopper-medium-v0, ...) are the same classes as the plain ids with
a dataset attached; one env per (class, arguments) is fuzzed, and a test checks that this covers
every registered id."""

import warnings

import gymnasium
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import envsuite  # noqa: F401
from envsuite.registry import env_entries

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])


def class_key(entry):
    return entry.entry_point, tuple(sorted((k, repr(v)) for k, v in entry.kwargs.items() if k != "dataset_id"))


def distinct_entries():
    chosen = {}
    for entry in env_entries():
        chosen.setdefault(class_key(entry), entry)
    return list(chosen.values())


ENTRIES = distinct_entries()
_made = {}


def make(entry):
    """One env per id for the whole module (fuzzing needs many steps, not many constructions)."""
    if entry.env_id not in _made:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _made[entry.env_id] = gymnasium.make(entry.env_id, **entry.probe_kwargs).unwrapped
    return _made[entry.env_id]


def by_space(kind):
    return [pytest.param(entry, id=entry.env_id) for entry in ENTRIES
            if type(make(entry).action_space).__name__ == kind]


def test_the_fuzzed_envs_cover_every_registered_id():
    fuzzed = {class_key(entry) for entry in ENTRIES}
    assert all(class_key(entry) in fuzzed for entry in env_entries())
    assert {type(make(entry).action_space).__name__ for entry in ENTRIES} == {"Box", "MultiDiscrete", "Dict"}


def step_after_reset(env, action, seed=0, options=None):
    env.reset(seed=seed, options=options)
    return env.step(action)


# --- Box action spaces: the MuJoCo envs -------------------------------------------------------------


@pytest.mark.parametrize("entry", by_space("Box"))
@FUZZ
@given(data=st.data())
def test_box_actions_with_nan_or_inf_are_value_errors(entry, data):
    env = make(entry)
    shape = env.action_space.shape
    action = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(allow_nan=True, allow_infinity=True)))
    bad = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    action[data.draw(st.integers(0, shape[0] - 1))] = bad
    with pytest.raises(ValueError, match="NaN or inf"):
        step_after_reset(env, action)


@pytest.mark.parametrize("entry", by_space("Box"))
@FUZZ
@given(data=st.data())
def test_box_actions_of_a_wrong_shape_or_dtype_are_value_errors(entry, data):
    env = make(entry)
    shape = env.action_space.shape
    wrong_shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=shape[0] + 2).filter(lambda s: s != shape))
    dtype = data.draw(st.sampled_from([np.int64, np.int8, np.bool_, np.complex128, np.str_, object]))
    action = data.draw(st.sampled_from([np.zeros(wrong_shape, np.float32), np.zeros(shape, dtype)]))
    with pytest.raises(ValueError, match="shape|dtype"):
        step_after_reset(env, action)


@pytest.mark.parametrize("entry", by_space("Box"))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_out_of_bounds_box_actions_are_clamped_as_documented(entry, data):
    env = make(entry)
    space = env.action_space
    action = data.draw(hnp.arrays(np.float32, space.shape, elements=st.floats(-50, 50, width=32)))
    clipped = np.clip(action, space.low, space.high)
    observation, *_ = step_after_reset(env, action, seed=3)
    expected, *_ = step_after_reset(env, clipped, seed=3)
    np.testing.assert_array_equal(observation, expected)


# --- MultiDiscrete action spaces: StarCraft --------------------------------------------------------


@pytest.mark.parametrize("entry", by_space("MultiDiscrete"))
@FUZZ
@given(data=st.data())
def test_multidiscrete_actions_out_of_range_or_malformed_are_value_errors(entry, data):
    env = make(entry)
    space = env.action_space
    n = len(space.nvec)
    action = data.draw(st.one_of(
        hnp.arrays(np.int64, (n,), elements=st.integers(-1000, 1000)).filter(
            lambda a: bool(np.any((a < 0) | (a >= space.nvec)))),
        hnp.arrays(np.float64, (n,), elements=st.floats(allow_nan=True, allow_infinity=True)),
        hnp.arrays(np.int64, st.integers(0, 3).filter(lambda k: k != n).map(lambda k: (k,)),
                   elements=st.integers(0, 1)),
        st.just(np.zeros((n, 1), np.int64)),
        st.just(np.array(["a"] * n)),
    ))
    with pytest.raises(ValueError):
        step_after_reset(env, action)


@pytest.mark.parametrize("entry", [p for p in by_space("MultiDiscrete") if "SC2MiniGame" not in p.id])
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_multidiscrete_actions_in_range_are_accepted(entry, data):
    env = make(entry)
    action = data.draw(hnp.arrays(np.int64, (len(env.action_space.nvec),),
                                  elements=st.integers(0, int(env.action_space.nvec.min()) - 1)))
    observation, reward, terminated, truncated, info = step_after_reset(env, action)
    assert env.observation_space.contains(observation) and np.isfinite(reward)


# --- Dict action spaces: the Android stub ----------------------------------------------------------


POINT = hnp.arrays(np.float64, (2,), elements=st.floats(-5, 5))


@pytest.mark.parametrize("entry", by_space("Dict"))
@FUZZ
@given(data=st.data())
def test_android_actions_malformed_are_value_errors(entry, data):
    env = make(entry)
    good = {"action_type": 4, "touch_yx": np.array([0.5, 0.5]), "lift_yx": np.array([0.5, 0.5]), "typed_text": ""}
    key, value = data.draw(st.one_of(
        st.tuples(st.sampled_from(["touch_yx", "lift_yx"]),
                  st.sampled_from([np.array([np.nan, 0.5]), np.array([0.5, np.inf]), np.zeros(3), np.zeros((2, 2)),
                                   "0.5,0.5", None])),
        st.tuples(st.just("action_type"), st.one_of(st.integers(-100, -1), st.integers(12, 1000),
                                                    st.floats(allow_nan=True), st.text(max_size=3), st.none())),
        st.tuples(st.just("typed_text"), st.one_of(st.integers(), st.binary(max_size=4), st.text(min_size=129))),
        st.tuples(st.just("no_such_key"), st.integers()),
    ))
    with pytest.raises(ValueError):
        step_after_reset(env, dict(good, **{key: value}), options={"task_index": 0})
    with pytest.raises(ValueError):
        step_after_reset(env, [4, 0.5, 0.5], options={"task_index": 0})


@pytest.mark.parametrize("entry", by_space("Dict"))
@settings(max_examples=15, deadline=None)
@given(touch=POINT, lift=POINT, code=st.sampled_from([3, 4, 5, 6, 7, 10, 11, 0, 8]))
def test_android_points_off_the_screen_are_clipped_as_documented(entry, touch, lift, code):
    env = make(entry)
    action = {"action_type": code, "touch_yx": touch, "lift_yx": lift, "typed_text": "hi"}
    clipped = dict(action, touch_yx=np.clip(touch, 0, 1), lift_yx=np.clip(lift, 0, 1))
    observation, reward, *_ = step_after_reset(env, action, seed=2, options={"task_index": 1})
    expected, expected_reward, *_ = step_after_reset(env, clipped, seed=2, options={"task_index": 1})
    np.testing.assert_array_equal(observation["screen"], expected["screen"])
    assert observation["annotation_texts"] == expected["annotation_texts"] and reward == expected_reward
    assert env.observation_space.contains(observation)
