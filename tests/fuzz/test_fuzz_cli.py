"""Fuzz `envsuite-datagen` with malformed arguments (hypothesis): each is exit 2 with exactly one line
on stderr naming the problem, never a traceback, never work done."""

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from datagen.cli import main

COMMANDS = ["list", "generate", "info", "metrics", "verify", "train-policy", "evaluate-policy", "evaluate-tracking",
            "evaluate-android", "export-aitw"]
JUNK = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), min_size=1, max_size=12)


def malformed_argv():
    """argv that cannot be a valid command: an unknown command or option, a bad number or choice,
    a missing value, an unknown dataset id."""
    unknown_command = st.tuples(JUNK.filter(lambda word: word not in COMMANDS and not word.startswith("-"))).map(list)
    unknown_option = st.tuples(st.sampled_from(COMMANDS), JUNK.map(lambda word: "--zz" + word)).map(list)
    bad_number = st.tuples(st.just("generate"), st.just("locomotion/hopper-random-v0"),
                           st.sampled_from(["--workers", "--seed"]),
                           JUNK.filter(lambda word: not word.strip().lstrip("-+").isdigit())).map(list)
    bad_size = st.tuples(st.just("generate"), st.just("locomotion/hopper-random-v0"), st.just("--size"),
                         st.one_of(st.sampled_from(["0", "-5", "huge", "1.5"]),
                                   JUNK.filter(lambda word: word not in ("small", "full") and not word.isdigit()))).map(list)
    bad_choice = st.tuples(st.just("generate"), st.just("locomotion/hopper-random-v0"), st.just("--backend"),
                           JUNK.filter(lambda word: word not in ("local", "ray"))).map(list)
    missing_value = st.tuples(st.just("generate"), st.just("locomotion/hopper-random-v0"),
                              st.sampled_from(["--size", "--workers", "--out", "--seed", "--backend"])).map(list)
    unknown_id = st.tuples(st.sampled_from(["generate", "info", "verify"]),
                           st.sampled_from(["locomotion/", "mocap/", "nofamily/"]).flatmap(
                               lambda family: JUNK.filter(lambda w: "/" not in w and not w.startswith("-")).map(
                                   lambda name: family + name + "-v9"))).map(list)
    no_arguments = st.sampled_from([["generate"], ["info"], ["metrics"], ["verify"], ["export-aitw", "x"], []])
    return st.one_of(unknown_command, unknown_option, bad_number, bad_size, bad_choice, missing_value, unknown_id,
                     no_arguments)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=malformed_argv())
@example(argv=["list", "--zz\n"])  # found by this test: a newline inside an argument made a second line
def test_malformed_arguments_exit_2_with_one_line(argv, capsys, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("ENVSUITE_DATA_DIR", str(tmp_path_factory.mktemp("data")))  # never touch a real cache
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, (argv, code, captured.err)
    assert captured.err.count("\n") == 1 and captured.err.startswith("envsuite-datagen"), (argv, captured.err)
    assert "Traceback" not in captured.err
