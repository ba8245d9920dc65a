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


def test_with_the_reference_pose_prior_the_network_adds_to_the_prior_and_learns_the_rest(tmp_path):
    from envsuite.mocap.multiclip import prior_actions

    torch.manual_seed(1)
    network = distill.student_network(40, 7, (16,))
    rng = np.random.default_rng(2)
    obs_mean, obs_std = np.zeros(40, np.float32), np.ones(40, np.float32)
    prior = {"columns": np.stack([np.arange(7), 10 + np.arange(7)]), "coefficients": rng.normal(size=(2, 7)),
             "offset": rng.normal(size=7) * 0.1}
    policy = distill.to_policy(network, obs_mean, obs_std, {}, prior=prior)
    observations = rng.normal(size=(6, 40)).astype(np.float32)
    with torch.no_grad():
        residual = network(torch.as_tensor(np.clip(observations, -distill.OBS_CLIP, distill.OBS_CLIP))).numpy()
    by_hand = prior["offset"] + prior["coefficients"][0] * observations[:, :7] + prior["coefficients"][1] * observations[:, 10:17]
    np.testing.assert_allclose(policy.act(observations, rng), np.clip(by_hand + residual, -1, 1), atol=1e-5)
    again = MultiClipPolicy.load(policy.save(tmp_path / "prior.npz"))
    np.testing.assert_array_equal(again.act(observations, rng), policy.act(observations, rng))
    assert again.describe()["reference_pose_prior"] is True
    # the network's targets: what the labels add to the prior, within the residual's range
    labels = rng.uniform(-1, 1, (6, 7)).astype(np.float32)
    targets = distill.network_targets(labels, observations, prior)
    np.testing.assert_allclose(targets, np.clip(labels - prior_actions(prior, observations), -1, 1), atol=1e-6)
    assert distill.network_targets(labels, observations, None) is labels
    with pytest.raises(ValueError, match="prior columns"):
        distill.to_policy(network, obs_mean, obs_std, {}, prior=dict(prior, columns=prior["columns"] + 40))
    with pytest.raises(ValueError, match="missing"):
        distill.to_policy(network, obs_mean, obs_std, {}, prior={"offset": prior["offset"]})


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
    assert set(record["prior_only"]) == {"train", "held_out"}  # the figure the network has to beat
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


def test_the_prior_alone_is_evaluated_on_round_0s_episodes_without_training(tmp_path):
    record = distill.distill("walk_tiny", hold_out_every=2, eval_episodes=1, planner=CHEAP, workers=1, prior_only=True,
                             out=tmp_path / "never.npz", log=lambda line: None)
    assert record["rounds"] == [] and not (tmp_path / "never.npz").exists()
    # the oracle: the same policy run through the evaluation by hand gives the same figures
    from envsuite.mocap import library
    from envsuite.mocap.expert import TrackingMPC, reference_pose_prior
    from envsuite.mocap.tracking import CMUHumanoidTrackingEnv

    env_kwargs = {"clips": library.resolve("walk_tiny")}
    env = CMUHumanoidTrackingEnv(**env_kwargs)
    policy = distill.prior_only_policy(env, reference_pose_prior(env, TrackingMPC().feedback_gain), {})
    train, held = distill.split_snippets([r.snippet.id for r in env.references], 2)
    runs = distill.run_episodes(distill._jobs(env_kwargs, dict(CHEAP, threads=1), str(policy.save(tmp_path / "p.npz")),
                                              held, len(held), 0, 1000, False), 1, "held out")
    assert record["prior_only"]["held_out"] == pytest.approx(np.mean([r["normalized_episode_length"] for r in runs]))
    with pytest.raises(ValueError, match="reference_prior"):
        distill.distill("walk_tiny", prior_only=True, reference_prior=False)
