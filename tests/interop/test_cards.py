"""`envsuite-datagen card`: a Markdown card whose facts are the dataset's own (hash, seed, policies,
counts, metrics recomputed by datagen.metrics) and PNG plots Pillow can open, for each family."""

import numpy as np
import pytest
from PIL import Image

from datagen.cards import write_card
from datagen.cli import main
from datagen.metrics import dataset_metrics
from envsuite.data import load_dataset
from interop_datasets import small  # tests/interop/interop_datasets.py



def test_a_locomotion_card_states_the_datasets_facts(tmp_path):
    path = small("locomotion/hopper-random-v0", 600, tmp_path)
    reference = small("locomotion/hopper-random-v0", 300, tmp_path / "reference")
    with load_dataset(path, in_memory=True) as ds, load_dataset(reference, in_memory=True) as ref:
        folder = write_card(ds, tmp_path / "card", reference=ref)
        text = (folder / "README.md").read_text()
        row = dataset_metrics(ds, ref)
        assert ds.content_sha256 in text and f"seed {ds.recipe['seed']}" in text
        assert f"| steps | {ds.total_steps:,} |" in text and f"| episodes | {ds.total_episodes:,}" in text
        assert f"| tq | {row['tq']:.4g} |" in text and f"| saco | {row['saco']:.4g} |" in text
        for name in ("returns.png", "episode_lengths.png", "actions.png", "coverage.png"):
            assert f"]({name})" in text
            with Image.open(folder / name) as image:
                assert image.size[0] > 300 and np.asarray(image.convert("L")).std() > 5
    assert main(["card", str(path), "--to", str(tmp_path / "card")]) == 1  # exists: one clear error


@pytest.mark.parametrize("dataset_id, steps, kwargs", [
    ("android/webshop-mixed-v0", 40, {"render_width": 108, "render_height": 240}),
    ("starcraft/3m-windows-v0", 12, {}),
])
def test_android_and_starcraft_cards_show_example_pictures(tmp_path, dataset_id, steps, kwargs):
    path = small(dataset_id, steps, tmp_path, **kwargs)
    assert main(["card", str(path), "--to", str(tmp_path / "card")]) == 0
    text = (tmp_path / "card" / "README.md").read_text()
    assert "](family.png)" in text and "## Intended uses and limits" in text
    with Image.open(tmp_path / "card" / "family.png") as image:
        assert np.asarray(image.convert("L")).std() > 5
