"""The shipped MoCap library (envsuite/mocap/library.py) against its oracles: a direct conversion of the
shared take (convert.amc_to_clip), dm_control's own MultiClipMocapTracking on an exported subset, the
shipped report of left-out takes, and the quality thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from datagen.cli import main as cli
from envsuite.mocap import library
from envsuite.mocap.clips import POSE_FIELDS, read_clips

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "mocap" / "cmu" / "asf_amc"
REPORT = Path(__file__).resolve().parents[2] / "docs" / "mocap_takes_report.tsv"


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Derived clips go to one cache per test session, never the user's ~/.cache."""
    monkeypatch.setenv("ENVSUITE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "envsuite-cache"))


def test_the_library_holds_at_least_45_minutes_of_real_motion_all_within_the_thresholds():
    records = library.library()
    minutes = sum(r.duration_s for r in records) / 60
    assert minutes >= 45
    for record in records:
        for key, bound in library.QUALITY_THRESHOLDS.items():
            assert record.quality[key] <= bound, (record.id, key)
        assert record.snippets and record.num_steps == round(record.duration_s / 0.03)
    assert len({r.id for r in records}) == len(records)


def test_every_shared_take_is_shipped_or_reported_with_the_reason():
    lines = REPORT.read_text().splitlines()
    header = lines[0].split("\t")
    rows = [dict(zip(header, line.split("\t"))) for line in lines[1:]]
    shipped = {library.clip_id(row["take"]) for row in rows if row["status"] == "shipped"}
    assert shipped == {r.id for r in library.library()}
    for row in rows:
        assert row["status"] == "shipped" or row["status"].startswith("left out: ") or row["status"] == "refused", row
    if SHARED.is_dir():
        # every AMC take, and every BVH take whose take number has no AMC (07_01-walk.amc is 07_01.bvh)
        amcs = {p.name.split(".")[0] for p in SHARED.glob("*/*.amc.gz")}
        numbers = {take.split("-")[0] for take in amcs}
        bvh_only = {p.name.split(".")[0] for p in SHARED.parent.glob("bvh/*/*.bvh.gz")} - numbers
        assert {row["take"] for row in rows if row["format"] == "amc"} == amcs
        assert {row["take"] for row in rows if row["format"] == "bvh"} == bvh_only
        assert len(rows) == len(amcs) + len(bvh_only)
    sources = {r.source.split("/")[2] for r in library.library()}
    assert sources == {"asf_amc", "bvh"}


def test_subsets_are_named_as_dm_control_names_them_and_per_category():
    named = library.subsets()
    assert {"all", "walk_tiny", "locomotion_small"} <= set(named)
    records = {r.id: r for r in library.library()}
    assert set(named["all"]) == set(records)
    assert named["locomotion_small"] and all(records[c].category in ("walk", "run") for c in named["locomotion_small"])
    assert len(named["walk_tiny"]) == 3 and all(records[c].category == "walk" for c in named["walk_tiny"])
    for category in {r.category for r in records.values()}:
        assert set(named[category]) == {c for c, r in records.items() if r.category == category}
    with pytest.raises(library.LibraryError, match="mocap-clips"):
        library.resolve("no_such_subset")
    with pytest.raises(library.LibraryError, match="not in the MoCap library"):
        library.resolve(["CMU_999_99"])


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared CMU takes are absent")
@pytest.mark.parametrize("take", ["02_02", "49_02", "35_02.bvh", "131_03.bvh"])
def test_a_derived_clip_equals_a_direct_conversion_of_its_take(take):
    """AMC takes, a BVH-only take without an ASF (subject 35) and one with its subject's ASF (131)."""
    from envsuite.mocap.bvh import bvh_to_clip
    from envsuite.mocap.convert import amc_to_clip

    take, _, fmt = take.partition(".")
    name = library.clip_id(take)
    subject = take.split("_")[0]
    if fmt == "bvh":
        asf = SHARED / subject / f"{subject}.asf.gz"
        direct = bvh_to_clip(SHARED.parent / "bvh" / subject / f"{take}.bvh.gz", asf=asf if asf.is_file() else None,
                             name=name)
    else:
        direct = amc_to_clip(SHARED / subject / f"{take}.amc.gz", name=name)
    derived = library.load_clips([name], progress=False)[name]
    assert derived.dt == direct.dt and derived.num_steps == direct.num_steps
    for field in POSE_FIELDS:
        np.testing.assert_array_equal(derived.poses[field], direct.poses[field], err_msg=field)
    for key, value in direct.attrs.items():
        assert derived.attrs[key] == value, key


def test_derived_clips_are_cached_and_read_back_without_deriving_again(monkeypatch):
    name = library.subsets()["walk_tiny"][0]
    first = library.clip_paths([name], progress=False)[0]
    stamp = first.stat().st_mtime_ns
    monkeypatch.setattr(library, "derive_clip", lambda *a, **k: pytest.fail("derived again"))
    again = library.clip_paths([name], progress=False)[0]
    assert again == first and again.stat().st_mtime_ns == stamp
    assert not list(first.parent.glob("*.tmp*"))


def test_an_exported_subset_loads_in_dm_controls_own_tracking_task(tmp_path):
    from dm_control.locomotion.mocap import loader
    from dm_control.locomotion.tasks.reference_pose import tracking, types
    from dm_control.locomotion.walkers import cmu_humanoid
    from dm_control.locomotion import arenas
    from dm_control import composer

    target = tmp_path / "walk_tiny.h5"
    assert cli(["mocap-clips", "--export", "walk_tiny", "--to", str(target)]) == 0
    ids = library.subsets()["walk_tiny"]
    assert sorted(read_clips(target)) == sorted(ids)
    # dm_control's own default clip file (cmu_2020) is a download; the exported file stands in for it
    task = tracking.MultiClipMocapTracking(
        walker=cmu_humanoid.CMUHumanoidPositionControlledV2020, arena=arenas.Floor(),
        ref_path=str(target), dataset=types.ClipCollection(ids=tuple(ids)), ref_steps=(1, 2, 3, 4, 5),
        min_steps=10, reward_type="comic")
    env = composer.Environment(task=task, random_state=np.random.RandomState(0))
    timestep = env.reset()
    assert np.isfinite(timestep.observation["walker/joints_pos"]).all()
    for _ in range(3):
        timestep = env.step(np.zeros(env.action_spec().shape))
        assert np.isfinite(timestep.reward)
    assert loader.HDF5TrajectoryLoader(str(target)).get_trajectory(ids[0]).dt == pytest.approx(0.03)


def test_the_cli_lists_the_clips_as_json_and_refuses_bad_arguments(capsys):
    assert cli(["mocap-clips", "locomotion_small", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"non-JSON {c}"))
    assert [r["id"] for r in listed] == library.subsets()["locomotion_small"]
    assert {"id", "subject", "category", "duration_s", "snippets", "quality"} <= set(listed[0])
    assert cli(["mocap-clips"]) == 0
    assert "min of motion" in capsys.readouterr().out
    assert cli(["mocap-clips", "no_such_subset"]) == 2
    assert cli(["mocap-clips", "--export", "walk_tiny"]) == 2
    assert cli(["mocap-clips", "--to", "x.h5"]) == 2


def test_the_env_tracks_a_library_subset_snippet_by_snippet():
    import gymnasium

    import envsuite  # noqa: F401  (registers the ids)

    env = gymnasium.make("envsuite/CMUHumanoidTracking-v0", clips="walk_tiny")
    snippets = [s for c in library.library("walk_tiny") for s in c.snippets]
    assert [r.snippet.id for r in env.unwrapped.references] == snippets
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs) and info["snippet_id"] in snippets
    with pytest.raises(ValueError, match="not both"):
        gymnasium.make("envsuite/CMUHumanoidTracking-v0", clips="walk_tiny", clip_path="x.h5")
    with pytest.raises(library.LibraryError):
        gymnasium.make("envsuite/CMUHumanoidTracking-v0", clips="no_such_subset")


def test_composition_counts_each_category_of_the_library_or_of_a_subset():
    records = library.library()
    rows = library.composition()
    assert {row["category"] for row in rows} == {r.category for r in records}
    assert sum(row["clips"] for row in rows) == len(records)
    assert sum(row["snippets"] for row in rows) == sum(len(r.snippets) for r in records)
    assert abs(sum(row["minutes"] for row in rows) - sum(r.duration_s for r in records) / 60) < 0.01 * len(rows)
    walks = [r for r in records if r.id in set(library.subsets()["walk_tiny"])]
    assert library.composition("walk_tiny") == [{"category": "walk", "clips": 3, "snippets": sum(len(r.snippets) for r in walks),
                                                 "minutes": round(sum(r.duration_s for r in walks) / 60, 2)}]
