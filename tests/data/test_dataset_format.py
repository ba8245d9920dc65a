"""gymnasium spaces <-> JSON (envsuite.data.format)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from gymnasium import spaces

from envsuite.data import FORMAT_VERSION, space_from_json, space_to_json

SPACES = {
    "box-unbounded": spaces.Box(-np.inf, np.inf, (3,), np.float32),
    "box-mixed-bounds": spaces.Box(np.array([0.0, -1.5, -np.inf], np.float32), np.array([1.0, np.inf, 2.25], np.float32)),
    "box-float64": spaces.Box(-0.1, 0.1, (2, 2), np.float64),
    "box-image": spaces.Box(0, 255, (64, 64, 3), np.uint8),
    "box-int": spaces.Box(np.array([-3, 0]), np.array([3, 7]), dtype=np.int32),
    "discrete": spaces.Discrete(7),
    "discrete-start": spaces.Discrete(4, start=-2),
    "multi-discrete": spaces.MultiDiscrete([3, 5, 2]),
    "multi-discrete-start": spaces.MultiDiscrete(np.array([[2, 3], [4, 5]]), start=np.array([[1, 0], [0, -1]])),
    "multi-binary": spaces.MultiBinary(6),
    "multi-binary-2d": spaces.MultiBinary([2, 3]),
    "text": spaces.Text(32, min_length=0, charset="abc xyz"),
    "dict-nested": spaces.Dict({
        "pixels": spaces.Box(0, 255, (8, 8, 1), np.uint8),
        "goal": spaces.Text(16),
        "state": spaces.Dict({"position": spaces.Box(-1, 1, (3,)), "mode": spaces.Discrete(3)}),
    }),
    "tuple": spaces.Tuple([spaces.Discrete(2), spaces.Box(0, 1, (2,)), spaces.Text(4)]),
}


@pytest.mark.parametrize("name", sorted(SPACES))
def test_space_json_round_trip_gives_an_equal_space(name):
    space = SPACES[name]
    text = space_to_json(space)
    rebuilt = space_from_json(text)
    assert rebuilt == space
    assert type(rebuilt) is type(space)
    if hasattr(space, "dtype") and space.dtype is not None:
        assert rebuilt.dtype == space.dtype
    # Strict JSON: infinities are strings, never the non-standard Infinity/NaN literals.
    json.loads(text, parse_constant=lambda constant: pytest.fail(f"non-standard JSON constant {constant}"))
    # Rebuilding from the parsed dict works as well as from the string.
    assert space_from_json(json.loads(text)) == space


def test_box_bounds_are_exact_and_kept_per_element():
    space = SPACES["box-mixed-bounds"]
    rebuilt = space_from_json(space_to_json(space))
    np.testing.assert_array_equal(rebuilt.low, space.low)
    np.testing.assert_array_equal(rebuilt.high, space.high)


def test_dict_key_order_survives():
    space = spaces.Dict([("zeta", spaces.Discrete(2)), ("alpha", spaces.Discrete(3))])
    assert list(space_from_json(space_to_json(space)).spaces) == ["zeta", "alpha"]


def test_serialisation_is_canonical():
    assert space_to_json(SPACES["dict-nested"]) == space_to_json(space_from_json(space_to_json(SPACES["dict-nested"])))


def test_unsupported_space_raises_type_error_naming_the_supported_ones():
    with pytest.raises(TypeError, match="Box, Discrete"):
        space_to_json(spaces.Sequence(spaces.Discrete(2)))


def test_unknown_space_type_in_json_raises_value_error():
    with pytest.raises(ValueError, match="unknown space type 'Graph'"):
        space_from_json('{"type": "Graph"}')


def test_format_version_is_one():
    assert FORMAT_VERSION == 1


class DiscreteOfGymnasium10(spaces.Discrete):
    """gymnasium 1.0's Discrete signature (no dtype: its spaces are int64), the oracle being its source."""

    def __init__(self, n, seed=None, start=0):
        super().__init__(n, seed=seed, start=start)


def test_discrete_spaces_read_on_gymnasium_1_0_and_another_dtype_is_refused_with_what_to_install(monkeypatch):
    import envsuite.data.format as format_module

    stored_int64 = space_to_json(spaces.Discrete(5, start=2))
    stored_int32 = json.dumps(dict(json.loads(stored_int64), dtype="int32"))  # as gymnasium >= 1.1 stores one
    monkeypatch.setattr(format_module.spaces, "Discrete", DiscreteOfGymnasium10)
    space = space_from_json(stored_int64)
    assert (space.n, space.start, space.dtype) == (5, 2, np.int64)
    with pytest.raises(ValueError, match=r"int32 needs gymnasium >= 1.1.*pip install"):
        space_from_json(stored_int32)
