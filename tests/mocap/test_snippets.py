"""Snippet windows: they cover the clip, overlap as asked, respect the length cap, and round-trip ids."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envsuite.mocap.snippets import Snippet, split_clip, to_clip_collection


@settings(max_examples=200, deadline=None)
@given(num_steps=st.integers(2, 2000), max_steps=st.integers(2, 300), data=st.data())
def test_windows_cover_the_clip_with_the_requested_overlap(num_steps, max_steps, data):
    overlap = data.draw(st.integers(0, max_steps - 2))
    snippets = split_clip("clip", num_steps, max_steps, overlap)
    assert snippets[0].start_step == 0 and snippets[-1].end_step == num_steps - 1
    covered = set()
    for snippet in snippets:
        assert 2 <= snippet.num_steps <= max_steps
        covered.update(range(snippet.start_step, snippet.end_step + 1))
    assert covered == set(range(num_steps))
    for before, after in zip(snippets, snippets[1:]):
        assert after.start_step == before.end_step - overlap  # consecutive windows share overlap + 1 steps


def test_ids_round_trip_in_mocapacts_form():
    snippet = Snippet("CMU_016_22", 0, 82)
    assert snippet.id == "CMU_016_22-0-82" and Snippet.from_id(snippet.id) == snippet
    assert Snippet.from_id("02-01-walk-10-50") == Snippet("02-01-walk", 10, 50)
    with pytest.raises(ValueError, match="<clip>-<start>-<end>"):
        Snippet.from_id("CMU_016_22")
    with pytest.raises(ValueError, match="start < end"):
        Snippet.from_id("clip-9-3")
    with pytest.raises(ValueError, match="at least 2"):
        split_clip("clip", 1)


def test_clip_collection_for_dm_controls_task():
    collection = to_clip_collection(split_clip("02_01", 96, 40, 10))
    assert collection.ids == ("02_01",) * 3
    assert collection.start_steps == (0, 29, 58) and collection.end_steps == (39, 68, 95)
