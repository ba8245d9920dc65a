"""The multi-clip policy: its numpy inference (envsuite/mocap/multiclip.py) against the torch network it
was trained as (the oracle), and a tiny distillation run (training/mocap/distill.py): held-out
snippets stay out of the data, DAgger adds the states the student visited, the file loads back."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from envsuite.mocap import multiclip_policy  # noqa: E402
from envsuite.mocap.multiclip import MultiClipPolicy  # noqa: E402
from training.mocap import distill  # noqa: E402

CHEAP = {"horizon": 3, "samples": 3, "knot_steps": 1, "rescue_rounds": 0}


@pytest.fixture(autouse=True)
def shared_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("ENVSUITE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "envsuite-cache"))


def test_numpy_inference_equals_the_torch_network(tmp_path):
    torch.manual_seed(0)
    network = distill.student_network(40, 7, (32, 16))
    rng = np.random.default_rng(0)
    obs_mean, obs_std = rng.normal(size=40).astype(np.float32), rng.uniform(0.5, 2, 40).astype(np.float32)
    policy = distill.to_policy(network, obs_mean, obs_std, {"note": "test"})
    observations = rng.normal(size=(5, 40)).astype(np.float32) * 3
    with torch.no_grad():
        x = torch.as_tensor(np.clip((observations - obs_mean) / obs_std, -distill.OBS_CLIP, distill.OBS_CLIP))
        expected = network(x).numpy()
    np.testing.assert_allclose(policy.act(observations, rng), expected, atol=1e-5)
    # one row gives what it gives in a batch; the file gives the same policy back
    np.testing.assert_array_equal(policy.act(observations[2:3], rng)[0], policy.act(observations, rng)[2])
    again = multiclip_policy(policy.save(tmp_path / "p.npz"))
    np.testing.assert_array_equal(again.act(observations, rng), policy.act(observations, rng))
    assert again.metadata == {"note": "test"}
    with pytest.raises(ValueError, match="shape"):
        policy.act(observations[:, :10], rng)
    with pytest.raises(FileNotFoundError, match="training.mocap.distill"):
        multiclip_policy(tmp_path / "absent.npz")
    np.savez(tmp_path / "other.npz", layers=np.int64(1))
    with pytest.raises(ValueError, match="not a multi-clip policy"):
        MultiClipPolicy.load(tmp_path / "other.npz")


def test_snippets_are_split_every_kth_and_refused_with_a_bad_k():
    train, held = distill.split_snippets([f"s{i}" for i in range(7)], 3)
    assert held == [2, 5] and train == [0, 1, 3, 4, 6]
    assert distill.split_snippets(["a", "b"], 0) == ([0, 1], [])
    with pytest.raises(ValueError):
        distill.split_snippets(["a"], 1)


def test_a_tiny_distillation_keeps_held_out_snippets_out_and_grows_the_data_with_dagger(tmp_path):
    out = tmp_path / "policy.npz"
    record = distill.distill("walk_tiny", hold_out_every=2, bc_episodes=2, dagger_rounds=1, dagger_episodes=1,
                             eval_episodes=1, planner=CHEAP, workers=1, hidden=(16,), epochs=2, out=out,
                             log=lambda line: None)
    assert [r["round"] for r in record["rounds"]] == [0, 1]
    assert record["rounds"][1]["data_steps"] > record["rounds"][0]["data_steps"]  # the student's states joined
    for row in record["rounds"]:
        assert set(row["normalized_episode_length"]) == {"train", "held_out"}
        assert 0.0 <= row["normalized_episode_length"]["held_out"] <= 1.0
    written = json.loads(out.with_suffix(".json").read_text())
    assert written["held_out"] == record["held_out"] and len(written["held_out"]) >= 1
    policy = multiclip_policy(out)
    assert policy.metadata["held_out"] == record["held_out"]
    # training episodes never start on a held-out snippet
    snippets = record["snippets"]
    train, held = distill.split_snippets(list(range(snippets)), 2)
    jobs = distill._jobs({}, {}, None, train, 10, 0, 0, True)
    assert not {job[3] for job in jobs} & set(held)
