"""Dataset files built to hurt are refused with a DatasetCorruptError (or DatasetError), never followed.

The oracle is h5py itself: each hostile construct is written with h5py's own API (ExternalLink,
SoftLink, external raw storage, VirtualLayout, resize), and the test checks that the data the
construct would pull in (a "secret" file) never reaches the reader, that `verify` refuses it too,
and that no module named in a file's attributes is imported.
"""

from __future__ import annotations

import sys

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datagen.cli import main
from envsuite.data import Dataset, DatasetCorruptError, DatasetError, verify_dataset
from envsuite.data.format import space_to_json
from gymnasium import spaces

LINK_KINDS = ("external link", "soft link", "external storage", "virtual dataset")
PLACES = ("infos/extra", "rewards", "metrics/extra", "episodes/extra")


def secret_files(folder):
    """A raw file and an HDF5 file of 'secret' data another user's file could point at."""
    raw = folder / "passwd"
    raw.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n" * 8)
    other = folder / "other.h5"
    with h5py.File(other, "w") as file:
        file["data"] = np.frombuffer(raw.read_bytes(), dtype=np.uint8)
    return raw, other


def plant(path, kind: str, place: str, rows: int, folder) -> None:
    """Put one hostile construct of `kind` at `place` in an existing dataset file."""
    raw, other = secret_files(folder)
    with h5py.File(path, "r+") as file:
        if place in file:
            del file[place]
        if kind == "external link":
            file[place] = h5py.ExternalLink(str(other), "/data")
        elif kind == "soft link":
            file[place] = h5py.SoftLink("/terminals")
        elif kind == "external storage":
            file.create_dataset(place, shape=(rows,), dtype=np.uint8, external=[(str(raw), 0, rows)])
        elif kind == "virtual dataset":
            layout = h5py.VirtualLayout(shape=(rows,), dtype=np.uint8)
            layout[:] = h5py.VirtualSource(str(other), "data", shape=(256,))[:rows]
            file.create_virtual_dataset(place, layout)
        else:
            raise ValueError(kind)


@pytest.fixture
def dataset_file(tmp_path, factory):
    path, _ = factory.write_dict(tmp_path / "data.h5", [30, 40])
    return path


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("kind", LINK_KINDS)
def test_links_external_storage_and_virtual_datasets_are_refused_at_open_and_in_verify(dataset_file, tmp_path,
                                                                                      kind, place):
    plant(dataset_file, kind, place, rows=70, folder=tmp_path)
    with pytest.raises(DatasetCorruptError, match="self-contained") as opened:
        Dataset(dataset_file)
    assert place in str(opened.value)
    with pytest.raises(DatasetCorruptError, match="self-contained"):
        verify_dataset(dataset_file)


def test_the_verify_command_says_no_to_a_linked_file(dataset_file, tmp_path, capsys):
    plant(dataset_file, "external link", "infos/extra", rows=70, folder=tmp_path)
    assert main(["verify", str(dataset_file)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "external link" in error and "root:x" not in error


def resize_all(path, group_or_names, rows: int, count_attr: str | None = None) -> None:
    with h5py.File(path, "r+") as file:
        names = []
        for name in group_or_names:
            node = file[name]
            if isinstance(node, h5py.Group):
                node.visititems(lambda sub, item: names.append(f"{name}/{sub}") if isinstance(item, h5py.Dataset) else None)
            else:
                names.append(name)
        for name in names:
            file[name].resize(rows, axis=0)
        if count_attr:
            file.attrs[count_attr] = np.int64(rows)


def test_a_small_file_declaring_1e12_steps_is_refused_before_anything_is_allocated(tmp_path, factory):
    dataset_file, _ = factory.write_box(tmp_path / "box.h5", [30, 40])
    resize_all(dataset_file, ["observations", "actions", "rewards", "terminals", "timeouts"], 10**12, "total_steps")
    assert dataset_file.stat().st_size < 2**20  # HDF5 grows its chunk index on resize, not its data
    with pytest.raises(DatasetCorruptError, match="not backed by data"):
        Dataset(dataset_file)
    with pytest.raises(DatasetCorruptError, match="not backed by data"):
        verify_dataset(dataset_file)


def test_an_episode_table_of_1e13_episodes_is_refused(dataset_file):
    resize_all(dataset_file, ["episodes"], 10**13, "total_episodes")
    with pytest.raises(DatasetCorruptError, match="not backed by data"):
        Dataset(dataset_file)


def test_a_huge_chunk_is_refused(dataset_file):
    with h5py.File(dataset_file, "r+") as file:
        file.create_dataset("infos/huge", shape=(70, 2**26), dtype=np.float64, chunks=(1, 2**26))
    with pytest.raises(DatasetCorruptError, match="chunks"):
        Dataset(dataset_file)


def test_a_200000_squared_observation_space_is_refused_without_allocating(tmp_path, factory):
    path, _ = factory.write_box(tmp_path / "box.h5", [5])
    with h5py.File(path, "r+") as file:
        file.attrs["observation_space"] = '{"type": "Box", "shape": [200000, 200000], "dtype": "float32", ' \
                                          '"low": -1.0, "high": 1.0}'
    with pytest.raises(DatasetCorruptError, match="elements"):
        Dataset(path)


def test_a_space_that_disagrees_with_its_arrays_is_refused(tmp_path, factory):
    wrong = space_to_json(spaces.Box(-1, 1, (5,), np.float32))  # the arrays hold 4 columns
    path, _ = factory.write_box(tmp_path / "box.h5", [5])
    with h5py.File(path, "r+") as file:
        file.attrs["observation_space"] = wrong
    with pytest.raises(DatasetCorruptError, match="disagree"):
        Dataset(path)


@pytest.fixture
def probe_module(tmp_path, monkeypatch):
    """A module that, if ever imported, leaves a marker file: a file's attributes must never import it."""
    marker = tmp_path / "imported"
    (tmp_path / "envsuite_probe_module.py").write_text(
        f"open({str(marker)!r}, 'w').write('imported')\n"
        "import gymnasium\nclass Env(gymnasium.Env):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield marker
    sys.modules.pop("envsuite_probe_module", None)


def test_env_never_imports_a_module_named_by_the_file(tmp_path, factory, probe_module):
    path, _ = factory.write_box(tmp_path / "box.h5", [5], env_id="envsuite_probe_module:Env")
    with Dataset(path) as dataset, pytest.raises(DatasetError, match="not registered"):
        dataset.env()
    assert not probe_module.exists()


def test_render_never_imports_a_module_named_by_the_file(tmp_path, factory, probe_module, capsys):
    path, _ = factory.write_box(tmp_path / "box.h5", [5], env_id="envsuite/Hopper-v0",
                                env_spec={"base_env_id": "envsuite_probe_module:Env"})
    assert main(["render", str(path), "--out", str(tmp_path / "x.gif")]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "module" in error
    assert not probe_module.exists() and not (tmp_path / "x.gif").exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(LINK_KINDS + ("resize", "space")), place=st.sampled_from(PLACES),
       rows=st.integers(min_value=10**9, max_value=10**15), episodes=st.lists(st.integers(1, 30), min_size=1, max_size=4))
def test_fuzz_hostile_files_are_always_a_clear_refusal(tmp_path_factory, factory, kind, place, rows, episodes):
    folder = tmp_path_factory.mktemp("hostile")
    path, _ = factory.write_dict(folder / "data.h5", episodes)
    steps = sum(episodes)
    if kind == "resize":
        resize_all(path, ["rewards", "terminals", "timeouts"], rows, "total_steps")
    elif kind == "space":
        with h5py.File(path, "r+") as file:
            file.attrs["action_space"] = f'{{"type": "MultiBinary", "n": [{rows}, {rows}]}}'
    else:
        plant(path, kind, place, rows=steps, folder=folder)
    with pytest.raises(DatasetCorruptError) as refused:
        Dataset(path)
    message = str(refused.value)
    assert str(path) in message and "root:x" not in message
