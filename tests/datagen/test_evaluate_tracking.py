"""`envsuite-datagen evaluate-tracking --subset S`: the tracking expert on library clips, reported per
clip and per category. The oracle: the per-episode figures of datagen.mocap.evaluate_tracking (the
datasets' episode definition), averaged with numpy; and the same figures for any worker count."""

import json

import numpy as np
import pytest

from datagen.cli import main as cli
from datagen.mocap import evaluate_tracking
from envsuite.mocap import library
from envsuite.mocap.snippets import Snippet

# A cheap planner: these tests check the bookkeeping, not the expert's quality.
CHEAP = {"horizon": 3, "samples": 3, "knot_steps": 1, "rescue_rounds": 0, "threads": 1}


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("ENVSUITE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "envsuite-cache"))


def test_the_subset_report_averages_the_episodes_per_clip_and_category(capsys):
    assert cli(["evaluate-tracking", "--subset", "walk_tiny", "--episodes", "1", "--planner", json.dumps(CHEAP),
                "--workers", "2", "--json", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    direct = evaluate_tracking(clips="walk_tiny", episodes=1, planner=CHEAP, progress=False)
    lengths, returns = direct["normalized_episode_length"], direct["normalized_return"]
    clips = np.asarray([Snippet.from_id(s).clip for s in direct["snippet_id"]])
    ids = library.resolve("walk_tiny")
    assert set(clips) == set(ids) and report["clips"] == len(ids) and report["episodes"] == len(lengths)
    assert len(lengths) == 2 * sum(len(r.snippets) for r in library.library() if r.id in ids)
    # the same episodes with 2 workers as with 1
    assert report["normalized_episode_length"] == pytest.approx(lengths.mean(), abs=1e-12)
    assert report["steps"] == direct["steps"]
    for row in report["per_clip"]:
        chosen = clips == row["name"]
        assert row["episodes"] == chosen.sum()
        assert row["normalized_episode_length"] == pytest.approx(lengths[chosen].mean(), abs=1e-12)
        assert row["normalized_return"] == pytest.approx(returns[chosen].mean(), abs=1e-12)
        assert row["snippet_start"] == pytest.approx(lengths[chosen & ~direct["random_start"]].mean(), abs=1e-12)
    assert [row["name"] for row in report["per_category"]] == ["walk"]
    assert report["per_category"][0]["episodes"] == len(lengths)


@pytest.mark.parametrize("argv, message", [
    (["--subset", "no_such_subset"], "mocap-clips"),
    (["--subset", "walk_tiny", "02_01"], "not both"),
    (["--subset", "walk_tiny", "--planner", "[1]"], "JSON object"),
    (["--subset", "walk_tiny", "--planner", '{"no_such_option": 1}'], "--planner"),
    (["--subset", "walk_tiny", "--workers", "0"], "--workers"),
])
def test_bad_arguments_are_one_clear_line(argv, message, capsys):
    assert cli(["evaluate-tracking", *argv, "--quiet"]) == 2
    assert message in capsys.readouterr().err


def test_a_resumed_evaluation_runs_only_the_missing_episodes_and_gives_the_whole_run(tmp_path, capsys):
    direct = evaluate_tracking(clips="walk_tiny", episodes=1, planner=CHEAP, progress=False)
    keep = tmp_path / "walk_tiny.jsonl"
    argv = ["evaluate-tracking", "--subset", "walk_tiny", "--episodes", "1", "--planner", json.dumps(CHEAP),
            "--json", "--quiet", "--resume", str(keep)]
    assert cli(argv) == 0
    whole = json.loads(capsys.readouterr().out)
    lines = keep.read_text().splitlines()
    assert len(lines) == 1 + len(direct["snippet_id"])  # the options, then one line per episode
    assert whole["normalized_episode_length"] == pytest.approx(direct["normalized_episode_length"].mean(), abs=1e-12)
    # A killed run: three episodes kept, one of them marked, and half a line written.
    rows = [json.loads(line) for line in lines[1:4]]
    rows[0]["normalized_episode_length"] = 0.125  # kept rows are read back, not rolled out again
    keep.write_text("\n".join([lines[0]] + [json.dumps(r) for r in rows]) + "\n" + lines[4][:20])
    assert cli(argv) == 0
    resumed = json.loads(capsys.readouterr().out)
    expected = direct["normalized_episode_length"].copy()
    expected[rows[0]["index"]] = 0.125
    assert resumed["normalized_episode_length"] == pytest.approx(expected.mean(), abs=1e-12)
    assert resumed["steps"] == direct["steps"] and resumed["episodes"] == whole["episodes"]
    again = [json.loads(line) for line in keep.read_text().splitlines()[1:]]
    assert sorted(r["index"] for r in again) == list(range(len(direct["snippet_id"])))


def test_a_resume_file_of_other_options_is_refused(tmp_path, capsys):
    keep = tmp_path / "walk_tiny.jsonl"
    argv = ["evaluate-tracking", "--subset", "walk_tiny", "--episodes", "1", "--json", "--quiet", "--resume", str(keep)]
    keep.write_text(json.dumps({"evaluate_tracking": {"planner": {"samples": 99}}}) + "\n")
    assert cli(argv + ["--planner", json.dumps(CHEAP)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert cli(["evaluate-tracking", "02_01", "--resume", str(keep), "--quiet"]) == 2
    assert "--resume goes with --subset" in capsys.readouterr().err
