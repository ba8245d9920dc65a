"""The envsuite-datagen command line: exit codes, one-line errors, and the subcommands."""

import subprocess
import sys

import pytest

from datagen.cli import main


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["generate", "locomotion/hoper-medium-v0"], "Did you mean locomotion/hopper-medium-v0"),
        (["generate", "nothing"], "unknown dataset id"),
        (["generate", "locomotion/hopper-medium-v0", "--workers", "0"], "--workers must be >= 1"),
        (["generate", "locomotion/hopper-medium-v0", "--size", "huge"], "--size must be"),
        (["generate"], "required"),
        (["bogus"], "invalid choice"),
        (["train-policy", "humanoid"], "unknown env"),
        (["verify", "locomotion/nope-v0"], "unknown dataset id"),
        (["evaluate-tracking", "walk"], "unknown clips ['walk']"),
        (["evaluate-tracking", "--episodes", "0"], "--episodes must be >= 1"),
        (["evaluate-tracking", "--action-noise", "2"], "--action-noise must be in [0, 1)"),
        (["generate", "mocap/02_01-expert-v1"], "Did you mean mocap/02_01-expert-v0"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert err.strip().count("\n") == 0


def test_help_works_for_every_subcommand():
    for command in ([], ["list"], ["generate"], ["info"], ["metrics"], ["verify"], ["train-policy"], ["evaluate-policy"],
                    ["evaluate-tracking"]):
        result = subprocess.run([sys.executable, "-m", "datagen.cli", *command, "--help"], capture_output=True, text=True)
        assert result.returncode == 0 and "usage:" in result.stdout


def test_generate_info_metrics_verify_and_list(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ENVSUITE_DATA_DIR", str(tmp_path))
    assert main(["generate", "locomotion/hopper-random-v0", "--size", "300", "--quiet"]) == 0
    assert "hopper-random-v0.h5" in capsys.readouterr().out
    assert main(["info", "locomotion/hopper-random-v0"]) == 0
    assert '"dataset_id": "locomotion/hopper-random-v0"' in capsys.readouterr().out
    assert main(["metrics", "locomotion/hopper-random-v0", "--reference", "locomotion/hopper-random-v0"]) == 0
    out = capsys.readouterr().out
    assert "SACo" in out and "1.000" in out  # a dataset covers exactly itself
    assert main(["verify", "locomotion/hopper-random-v0"]) == 0
    assert capsys.readouterr().out.startswith("ok")
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "locomotion/hopper-random-v0" in listing and "yes" in listing


def test_verify_reports_a_corrupted_file_with_exit_1(tmp_path, capsys):
    path = tmp_path / "broken.h5"
    path.write_bytes(b"not an hdf5 file at all")
    assert main(["verify", str(path)]) == 1
    assert str(path) in capsys.readouterr().err


def test_missing_policy_asset_is_one_line_with_the_training_command(tmp_path, capsys, monkeypatch):
    from envsuite import paths

    monkeypatch.setattr(paths, "assets_dir", lambda: tmp_path)  # an install without trained policies
    assert main(["generate", "locomotion/hopper-medium-v0", "--out", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "envsuite-datagen train-policy hopper" in err and err.strip().count("\n") == 0


def test_generate_reuses_an_identical_dataset_and_refuses_a_different_size(tmp_path, capsys):
    args = ["generate", "locomotion/hopper-random-v0", "--size", "200", "--out", str(tmp_path), "--quiet"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 0
    assert "already generated" in capsys.readouterr().out
    bigger = ["generate", "locomotion/hopper-random-v0", "--size", "300", "--out", str(tmp_path), "--quiet"]
    assert main(bigger) == 1
    err = capsys.readouterr().err
    assert "--overwrite" in err and "200 steps" in err
    assert main(bigger + ["--overwrite"]) == 0


@pytest.mark.parametrize("command", ["metrics", "info", "verify"])
def test_a_missing_dataset_prints_the_generate_command(command, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ENVSUITE_DATA_DIR", str(tmp_path / "empty"))
    assert main([command, "locomotion/hopper-medium-v0"]) == 1
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0
    assert "generate it with: envsuite-datagen generate locomotion/hopper-medium-v0" in err
    root = tmp_path / "with space"
    assert main([command, "locomotion/hopper-medium-v0", "--out", str(root)]) == 1
    err = capsys.readouterr().err
    assert f"envsuite-datagen generate locomotion/hopper-medium-v0 --out '{root}'" in err
    # the printed command is one that works: run it (small) and the first command succeeds
    assert main(["generate", "locomotion/hopper-medium-v0", "--size", "50", "--quiet", "--out", str(root)]) == 0
    assert main([command, "locomotion/hopper-medium-v0", "--out", str(root)]) == 0


def test_metrics_reference_missing_prints_the_generate_command(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ENVSUITE_DATA_DIR", str(tmp_path))
    assert main(["generate", "locomotion/hopper-random-v0", "--size", "50", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["metrics", "locomotion/hopper-random-v0", "--reference", "locomotion/hopper-medium-replay-v0"]) == 1
    assert "envsuite-datagen generate locomotion/hopper-medium-replay-v0" in capsys.readouterr().err


def _refuse_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def test_metrics_and_info_json_is_strict_json_with_null_for_missing_values(tmp_path, capsys, monkeypatch):
    import json
    import math

    from datagen.cli import _strict_json

    monkeypatch.setenv("ENVSUITE_DATA_DIR", str(tmp_path))
    # StarCraft datasets have no D4RL reference scores: their normalized score and TQ are missing (NaN)
    assert main(["generate", "starcraft/3m-random-v0", "--size", "60", "--quiet"]) == 0
    assert main(["generate", "locomotion/hopper-random-v0", "--size", "60", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["metrics", "starcraft/3m-random-v0", "locomotion/hopper-random-v0", "--json"]) == 0
    text = capsys.readouterr().out
    rows = json.loads(text, parse_constant=_refuse_constant)  # NaN, Infinity, -Infinity would raise
    assert [row["dataset_id"] for row in rows] == ["starcraft/3m-random-v0", "locomotion/hopper-random-v0"]
    assert rows[0]["d4rl_score"] is None and rows[0]["tq"] is None
    assert isinstance(rows[1]["d4rl_score"], float) and math.isfinite(rows[1]["d4rl_score"])
    assert "NaN" not in text and "Infinity" not in text
    assert main(["info", "starcraft/3m-random-v0"]) == 0
    info = json.loads(capsys.readouterr().out, parse_constant=_refuse_constant)
    assert info["dataset_id"] == "starcraft/3m-random-v0"
    # the encoder itself: numpy values, nested NaN / inf
    import numpy as np

    encoded = _strict_json({"a": np.float32("nan"), "b": [1.0, float("inf"), np.array([np.nan, 2.0])],
                            "c": np.int64(3), "d": (-np.inf,)})
    assert json.loads(encoded, parse_constant=_refuse_constant) == {"a": None, "b": [1.0, None, [None, 2.0]],
                                                                    "c": 3, "d": [None]}
