"""Fuzz the dataset loader and `verify` with files that are not datasets: random bytes, random HDF5
files built from the format's own names, and a real dataset with random bytes flipped or cut off.
Each must give a DatasetError naming the file (or, for damage the format cannot see, open and
verify cleanly), never another exception, a segfault or a hang. The byte-level fuzz runs in a child
process, so a crash of the HDF5 library would fail the test instead of killing pytest."""

import json
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envsuite.data import DatasetError, DatasetWriter, load_dataset, verify_dataset

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NAMES = ["observations", "actions", "rewards", "terminals", "timeouts", "episodes", "episodes/start",
         "episodes/length", "episodes/return", "episodes/seed", "episodes/policy", "episodes/final_observation",
         "infos", "metrics", "observations/pixels"]
ATTRS = ["format", "format_version", "dataset_id", "env_id", "family", "observation_space", "action_space",
         "total_steps", "total_episodes", "content_sha256", "policies", "recipe", "env_spec"]
ATTR_VALUES = st.one_of(st.integers(-3, 3), st.just("envsuite-dataset"),
                        st.text(st.characters(blacklist_characters="\x00"), max_size=20),  # HDF5 text has no NUL
                        st.just('{"type": "Box", "shape": [2]}'), st.floats(allow_nan=True), st.just(1))


def write_small_dataset(path):
    """A real dataset with numbers, a Dict observation, text and infos: something to damage."""
    rng = np.random.default_rng(0)
    observation_space = spaces.Dict({"pixels": spaces.Box(0, 255, (8, 8, 3), np.uint8),
                                     "goal": spaces.Text(20, min_length=0),
                                     "state": spaces.Box(-np.inf, np.inf, (3,), np.float32)})
    with DatasetWriter(path, dataset_id="fuzz/small-v0", env_id="envsuite/Fuzz-v0", family="fuzz",
                       observation_space=observation_space, action_space=spaces.Discrete(4),
                       policies=["random"]) as writer:
        for length in (5, 7, 4):
            observations = {"pixels": rng.integers(0, 255, (length, 8, 8, 3), dtype=np.uint8),
                            "goal": np.array(["go left"] * length, dtype=object),
                            "state": rng.normal(size=(length, 3)).astype(np.float32)}
            final = {"pixels": np.zeros((8, 8, 3), np.uint8), "goal": "go left", "state": np.zeros(3, np.float32)}
            flags = np.zeros(length, bool)
            flags[-1] = True
            writer.add_episode(observations, rng.integers(0, 4, length), rng.normal(size=length).astype(np.float32),
                               np.zeros(length, bool), flags, final_observation=final, seed=1,
                               infos={"success": flags.copy()})
        writer.finalize()
    return path


def assert_dataset_error_or_fine(path):
    """Opening (lazily and in memory) and verifying: a DatasetError naming the file, or success."""
    for check in (lambda: load_dataset(path).close(), lambda: load_dataset(path, in_memory=True).close(),
                  lambda: verify_dataset(path)):
        try:
            check()
        except DatasetError as error:
            assert str(path) in str(error)


@SETTINGS
@given(data=st.binary(max_size=4096))
def test_random_bytes_are_a_dataset_error_naming_the_file(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "noise.h5"
    path.write_bytes(data)
    for check in (load_dataset, verify_dataset):
        with pytest.raises(DatasetError, match="noise.h5"):
            check(path)


@SETTINGS
@given(members=st.lists(st.tuples(st.sampled_from(NAMES), st.integers(0, 6), st.sampled_from(["f4", "i8", "u1", "b"])),
                        max_size=8),
       attributes=st.dictionaries(st.sampled_from(ATTRS), ATTR_VALUES, max_size=len(ATTRS)))
def test_random_hdf5_files_are_a_dataset_error_naming_the_file(tmp_path_factory, members, attributes):
    path = tmp_path_factory.mktemp("hdf5") / "random.h5"
    with h5py.File(path, "w") as file:
        for name, rows, dtype in members:
            if name in file or any(part in file and isinstance(file[part], h5py.Dataset)
                                   for part in _parents(name)):
                continue
            file.create_dataset(name, data=np.zeros((rows, 2), dtype=dtype))
        for key, value in attributes.items():
            file.attrs[key] = value
    for check in (load_dataset, verify_dataset):
        with pytest.raises(DatasetError, match="random.h5"):
            check(path)


def _parents(name):
    parts = name.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def test_a_real_dataset_with_its_metadata_damaged_at_random_is_a_dataset_error(tmp_path):
    path = write_small_dataset(tmp_path / "small.h5")
    rng = np.random.default_rng(0)
    for trial in range(40):
        damaged = tmp_path / f"attrs_{trial}.h5"
        damaged.write_bytes(path.read_bytes())
        with h5py.File(damaged, "r+") as file:
            key = str(rng.choice(sorted(file.attrs)))
            choice = int(rng.integers(3))
            if choice == 0:
                del file.attrs[key]
            elif choice == 1:
                file.attrs[key] = "garbage"
            else:
                file.attrs[key] = json.dumps({"type": "Box"})
        assert_dataset_error_or_fine(damaged)


FUZZ_CHILD = textwrap.dedent("""
    import shutil, sys
    from pathlib import Path
    import numpy as np
    from envsuite.data import DatasetError, load_dataset, verify_dataset

    source, folder, trials = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    data = source.read_bytes()
    rng = np.random.default_rng(int(sys.argv[4]))
    outcomes = {"error": 0, "fine": 0}
    for trial in range(trials):
        damaged = bytearray(data)
        if trial % 3 == 0:
            damaged = damaged[: int(rng.integers(0, len(data)))]  # cut off
        else:
            for offset in rng.integers(0, len(data), int(rng.integers(1, 9))):
                damaged[offset] ^= 1 << int(rng.integers(8))  # bits flipped anywhere: header, b-trees, chunks
        path = folder / f"damaged_{trial}.h5"
        path.write_bytes(bytes(damaged))
        for check in (lambda: load_dataset(path, in_memory=True).close(), lambda: verify_dataset(path)):
            try:
                check()
                outcomes["fine"] += 1
            except DatasetError as error:
                assert str(path) in str(error), error
                outcomes["error"] += 1
        path.unlink()
    print(outcomes)
""")


@pytest.mark.parametrize("seed", [0, 1])
def test_a_real_dataset_with_bytes_flipped_or_cut_is_an_error_never_a_crash(tmp_path, seed):
    path = write_small_dataset(tmp_path / "small.h5")
    child = subprocess.run([sys.executable, "-c", FUZZ_CHILD, str(path), str(tmp_path), "60", str(seed)],
                           capture_output=True, text=True, timeout=600)
    assert child.returncode == 0, f"the loader crashed or raised another error:\n{child.stderr[-3000:]}"
    outcomes = eval(child.stdout.strip().splitlines()[-1])  # {"error": n, "fine": m}, printed by the child
    assert outcomes["error"] > 0 and sum(outcomes.values()) == 120
