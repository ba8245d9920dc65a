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
