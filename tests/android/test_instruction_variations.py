"""Instruction files as people write them: quotes, case, spacing, punctuation, word order, encodings.

The oracle for the variations is the canonical line of DigiRL's own files: a variant a person reads
the same way must give the same task (family and slots). Lines no family reads are never dropped
silently (coverage, load_tasks, the env, evaluate-android, dataset recipes), and the train/test
splits of the named task sets are disjoint.
"""

import json
import re

import gymnasium
import numpy as np
import pytest

import envsuite  # noqa: F401
from datagen.cli import main
from envsuite import paths
from envsuite.android.env import AndroidStubEnv, read_task_set
from envsuite.android.tasks import (WEB_SHOPS, UnparsedInstructionsError, coverage, instruction_key, load_tasks,
                                    parse, parse_instruction, read_task_file)

TASKS = paths.asset_path("android", "tasks")
WEBSHOP_LINES = sorted(set((TASKS / "digirl_webshop_train.txt").read_text().splitlines()))
GENERAL_LINES = sorted(set((TASKS / "digirl_general_train.txt").read_text().splitlines()))


def shop_parts(line: str):
    """Site, query and first-entry flag of a canonical DigiRL web-shopping line, read independently."""
    site = re.match(r"Go to (\S+\.com)", line).group(1)
    query = re.search(r"search for \"([^\"]+)\"", line)
    return site, query.group(1) if query else None, line.endswith("select the first entry")


def folded(slots: dict) -> dict:
    """Slots with their text folded: every success check compares names and queries case-folded."""
    return {key: value.casefold() if isinstance(value, str) else
            [v.casefold() for v in value] if isinstance(value, list) else value for key, value in slots.items()}


def same_task(variant: str, original: str):
    expected, got = parse(original), parse(variant)
    assert got is not None, (variant, parse_instruction(variant)[1])
    assert got.family == expected.family, variant
    assert folded(got.slots) == folded(expected.slots), variant


def webshop_variants(line: str) -> list[str]:
    site, query, first = shop_parts(line)
    tail = ", and select the first entry" if first else ""
    variants = [line.upper(), line.lower(), "  " + line.replace(" ", "   ") + "  ", line + ".", line + "!",
                f"\u201c{line}\u201d", f"'{line}'"]
    if query is not None:
        for left, right in (("'", "'"), ("\u201c", "\u201d"), ("\u2018", "\u2019"), ("", ""), ('"', '"')):
            variants.append(f"Go to {site}, search for {left}{query}{right}{tail}")
            variants.append(f"go to {site} and search for {left}{query}{right}{' and click the first result' if first else ''}.")
        variants.append(f"Search for \"{query}\" on {site}{tail}")
        variants.append(f"Visit {site.upper()}; search '{query}'{', then open the first item' if first else ''}")
    else:
        variants += [f"Open {site}", f"visit www.{site}", f"Go to the website {site}"]
    return variants


@pytest.mark.parametrize("line", WEBSHOP_LINES)
def test_every_web_shopping_line_parses_the_same_in_every_quoting_case_spacing_and_order(line):
    site, query, first = shop_parts(line)
    task = parse(line)
    assert task.slots == {"site": site, "query": query, "first": first}
    for variant in webshop_variants(line):
        same_task(variant, line)


def general_variants(line: str) -> list[str]:
    return [line.upper(), line.lower(), f"  {line}  ".replace(" ", "  "), line.rstrip("?") + ".",
            line.replace("'", "\u2019"), f'"{line}"', line + " !"]


@pytest.mark.parametrize("line", GENERAL_LINES[::3])
def test_general_lines_parse_the_same_in_every_case_spacing_and_punctuation(line):
    for variant in general_variants(line):
        same_task(variant, line)


def test_digirls_single_quoted_test_file_parses_completely():
    report = coverage(TASKS / "digirl_webshop_test.txt")
    assert report["lines"] == 360 and report["covered"] == 360
    assert parse("Go to costco.com, search for 'razer blade', and select the first entry").slots == {
        "site": "costco.com", "query": "razer blade", "first": True}


def test_the_shops_are_the_browsers_sites():
    browser = json.loads((TASKS.parent / "apps" / "browser.json").read_text())
    assert {site.split(".")[0] for site in browser["sites"]} - {"reddit"} == set(WEB_SHOPS)


MIXED = ["Turn on Wi-Fi", "Make me a sandwich", "", "Go to costco.com, search for 'usb-c cable'",
         "Turn on the toaster", "Open the toaster app", "Go to amazon.com", "Set an alarm for 5 p.m."]


@pytest.fixture
def mixed_file(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_text("\n".join(MIXED) + "\n")
    return path


def test_coverage_lists_every_uncovered_line_with_its_number_and_reason(mixed_file):
    report = coverage(mixed_file)
    assert report["lines"] == 7 and report["covered"] == 3
    reasons = {entry["line"]: entry["reason"] for entry in report["uncovered"]}
    assert set(reasons) == {2, 5, 6, 7}  # the blank line 3 is not an instruction
    assert "no task family" in reasons[2] and "no setting 'toaster'" in reasons[5]
    assert "no app called 'toaster'" in reasons[6] and "no shop amazon.com" in reasons[7]
    assert parse("Set an alarm for 5 p.m.").slots == {"time": "17:00"}


def test_no_line_is_dropped_silently(mixed_file):
    with pytest.raises(UnparsedInstructionsError, match="4 instruction.*line 2 'Make me a sandwich'") as refused:
        load_tasks(mixed_file)
    assert [u.number for u in refused.value.unparsed] == [2, 5, 6, 7]
    tasks, unparsed = read_task_file(mixed_file, skip_unparsed=True)
    assert len(tasks) == 3 and len(unparsed) == 4
    with pytest.raises(ValueError, match="cannot be parsed"):
        gymnasium.make("envsuite/AndroidStub-General-v0", tasks=str(mixed_file))
    env = gymnasium.make("envsuite/AndroidStub-General-v0", tasks=str(mixed_file), skip_unparsed=True,
                         render_width=64, render_height=128)
    assert [t.instruction for t in env.unwrapped.tasks] == ["Turn on Wi-Fi", MIXED[3], MIXED[7]]
    assert len(env.unwrapped.unparsed_lines) == 4


def test_evaluate_android_counts_unparsed_lines_as_failures(mixed_file, capsys):
    from datagen.android import evaluate_expert

    result = evaluate_expert(str(mixed_file), render_width=64, render_height=128, progress=False)
    assert result["episodes"] == 7 and result["solved"] <= 3 and len(result["unparsed"]) == 4
    assert result["families"]["unparsed"] == [False] * 4
    assert main(["evaluate-android", str(mixed_file), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "4 of 7 lines could not be parsed into tasks and count as failures" in out
    assert "line 2: 'Make me a sandwich'" in out


def test_a_recipe_on_a_file_with_unparsed_lines_fails_unless_told_to_skip_and_then_records_them(mixed_file, tmp_path):
    from datagen.generate import generate
    from datagen.recipes import Recipe, RecipeError
    from envsuite.data import load_dataset

    data = {"dataset_id": "android/custom-expert-v0", "family": "android", "env_id": "envsuite/AndroidStub-General-v0",
            "seed": 3, "sizes": {"small": 12, "full": 12}, "episodes_per_shard": 4,
            "env_kwargs": {"tasks": str(mixed_file), "render_width": 64, "render_height": 128},
            "policies": [{"kind": "android_expert", "epsilon": 0.0, "name": "expert"}]}
    with pytest.raises(RecipeError, match="4 instruction.*line 2 'Make me a sandwich'"):
        generate(Recipe.from_dict(data, source=tmp_path / "r.toml"), "12", out=tmp_path / "a", progress=False)
    data["env_kwargs"]["skip_unparsed"] = True
    path = generate(Recipe.from_dict(data, source=tmp_path / "r.toml"), "12", out=tmp_path / "b", progress=False)
    with load_dataset(path) as dataset:
        skipped = json.loads(dataset.attrs["skipped_instructions"])
    assert [entry["line"] for entry in skipped] == [2, 5, 6, 7] and skipped[0]["text"] == "Make me a sandwich"


@pytest.mark.parametrize("encoding, newline", [("utf-8", "\n"), ("utf-8-sig", "\r\n"), ("cp1252", "\r\n"),
                                               ("utf-8", "\r")])
def test_instruction_files_in_other_encodings_and_line_endings(tmp_path, encoding, newline):
    lines = ["Go to ebay.com, search for \u201cusb hub\u201d", "What\u2019s the news in Malaysia?", "Open the clock"]
    path = tmp_path / "tasks.txt"
    path.write_bytes(newline.join(lines).encode(encoding))
    tasks = load_tasks(path)
    assert [t.family for t in tasks] == ["webshop", "web_search", "open_app"]
    assert tasks[0].slots["query"] == "usb hub"


def test_a_stray_byte_that_is_not_utf8_does_not_make_a_file_unreadable(tmp_path):
    path = tmp_path / "tasks.txt"
    path.write_bytes(b"Open the clock\nSearch for caf\xe9 near me\n")
    assert [t.family for t in load_tasks(path)] == ["open_app", "web_search"]


@pytest.mark.parametrize("task_set, train, test", [("general", 113, 432), ("webshop", 200, 193)])
def test_the_train_and_test_splits_are_disjoint(task_set, train, test):
    train_tasks, _ = read_task_set(task_set, "train")
    test_tasks, _ = read_task_set(task_set, "test")
    assert (len(train_tasks), len(test_tasks)) == (train, test)
    train_keys = {instruction_key(t.instruction) for t in train_tasks}
    test_keys = [instruction_key(t.instruction) for t in test_tasks]
    assert not train_keys & set(test_keys) and len(test_keys) == len(set(test_keys))
    whole = (TASKS / f"digirl_{task_set}_train.txt").read_text().splitlines()
    assert all(t.instruction in whole for t in train_tasks)
    env = gymnasium.make(f"envsuite/AndroidStub-{'General' if task_set == 'general' else 'WebShop'}-v0",
                         split="test", render_width=64, render_height=128)
    assert len(env.unwrapped.tasks) == test


def test_a_split_of_an_instruction_file_is_refused(mixed_file):
    with pytest.raises(ValueError, match="has no split"):
        AndroidStubEnv(tasks=mixed_file, split="test", skip_unparsed=True)
    with pytest.raises(ValueError, match="split must be one of"):
        read_task_set("general", "validation")


def test_the_quoted_instruction_keys_match():
    assert instruction_key("Go to ebay.com, search for 'USB hub'") == instruction_key('go to ebay.com, search for "usb hub"')
    assert np.unique([instruction_key(v) for v in general_variants("What's the news in Malaysia?")[:4]]).size == 1
