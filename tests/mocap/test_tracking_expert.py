"""The tracking expert (envsuite/mocap/expert.py, TrackingMPC): its plans against their own oracle, the
mujoco.rollout that scored them, and its options. Tracking quality is measured, not asserted here:
benchmarks/mocap_expert_levers.py and `envsuite-datagen evaluate-tracking`."""

import numpy as np
import pytest

from envsuite.mocap.expert import TrackingMPC
from envsuite.mocap.tracking import CMUHumanoidTrackingEnv

CHEAP = {"horizon": 6, "samples": 3, "knot_steps": 2, "rescue_rounds": 0, "threads": 1}


@pytest.fixture(scope="module")
def env():
    return CMUHumanoidTrackingEnv(snippets=["02_01-0-95"])


def test_a_plan_run_for_several_steps_follows_the_rollout_that_was_scored(env):
    expert = TrackingMPC(**CHEAP, replan_every=4)
    env.reset(seed=3)
    expert.reset()
    rng = np.random.default_rng(0)
    scored, plans = {}, []
    rollouts = expert._rollouts

    def keep(*args):
        first, states = rollouts(*args)
        scored["corrections"], scored["states"] = args[3], states
        plans.append(env.time_index)
        return first, states

    expert._rollouts = keep
    action = expert.act(env, rng)
    winner = int(np.argmin(np.abs(scored["corrections"] - expert._plan[2][None]).sum(axis=(1, 2))))
    assert np.array_equal(scored["corrections"][winner], expert._plan[2])  # the executed plan is a scored sample
    nq = env.model.nq
    for step in range(4):
        env.step(action.astype(np.float32))
        # float32 actions and the solver's warm start differ from the rollout's: micro-radians, not a drift
        np.testing.assert_allclose(env.data.qpos, scored["states"][winner, step, 1:1 + nq], atol=1e-4)
        action = expert.act(env, rng)
    assert len(plans) == 2 and plans[1] == plans[0] + 4  # one plan, then the next one 4 steps later


def test_between_refinements_only_the_warm_started_plan_is_rolled_out_and_checked(env):
    expert = TrackingMPC(**CHEAP, refine_every=3)
    env.reset(seed=2)
    expert.reset()
    sizes = []
    rollouts = expert._rollouts

    def count(*args):
        sizes.append(args[3].shape[0])
        return rollouts(*args)

    expert._rollouts = count
    rng = np.random.default_rng(0)
    for _ in range(6):
        _, _, terminated, truncated, _ = env.step(expert.act(env, rng).astype(np.float32))
        assert not (terminated or truncated)
    # a full plan (3 samples), then checks of one rollout each, until a plan fails its check or 3 steps passed
    assert sizes[0] == CHEAP["samples"] and 1 in sizes
    plans = [i for i, size in enumerate(sizes) if size == CHEAP["samples"]]
    assert all(b - a <= 3 for a, b in zip(plans, plans[1:]))


def test_the_expert_is_reproducible_from_its_rng(env):
    actions = []
    for _ in range(2):
        expert = TrackingMPC(**CHEAP)
        env.reset(seed=5)
        expert.reset()
        rng = np.random.default_rng(7)
        run = []
        for _ in range(3):
            run.append(expert.act(env, rng))
            env.step(run[-1].astype(np.float32))
        actions.append(np.stack(run))
    np.testing.assert_array_equal(actions[0], actions[1])


def test_a_coarser_planning_model_keeps_the_control_step_and_leaves_the_env_alone(env):
    expert = TrackingMPC(**CHEAP, plan_substeps=2, plan_noslip_iterations=0)
    env.reset(seed=1)
    expert.reset()
    expert.act(env, np.random.default_rng(0))
    assert expert._plan_model is not env.model and expert._substeps == 2
    assert expert._plan_model.opt.timestep * 2 == pytest.approx(env.model.opt.timestep * env.n_substeps)
    assert expert._plan_model.opt.noslip_iterations == 0 and env.model.opt.noslip_iterations > 0


@pytest.mark.parametrize("options", [{"replan_every": 0}, {"replan_every": 7}, {"plan_substeps": 0},
                                     {"samples": 1}, {"refine_every": 0}])
def test_bad_options_are_refused(options):
    with pytest.raises(ValueError):
        TrackingMPC(**dict(CHEAP, **options))


def test_the_reference_pose_prior_is_the_planners_action_without_correction_read_off_the_observation(env):
    from envsuite.mocap.expert import pose_to_actuation, reference_pose_prior
    from envsuite.mocap.multiclip import prior_actions

    observation, _ = env.reset(seed=5)
    rng = np.random.default_rng(1)
    for _ in range(3):  # away from the reference pose, so that the feedback term matters
        observation, _, terminated, _, _ = env.step(rng.uniform(-0.2, 0.2, env.model.nu).astype(np.float32))
        assert not terminated
    gain = 3.0
    # The oracle, from the physics state and the clip (not from the observation): the reference pose of
    # the next step as controls, plus gain x the joint error in control units.
    ix, joint = env.indices, env.model.actuator_trnid[:, 0]
    target = env.reference.features["joints"][env.time_index + 1]
    error = (target - env.data.qpos[ix.mocap_qpos])[ix.mocap_to_observable]
    expected = pose_to_actuation(env.model, ix, target) + gain * error * 2.0 / np.diff(env.model.jnt_range[joint], axis=1)[:, 0]
    got = prior_actions(reference_pose_prior(env, gain), observation[None].astype(np.float64))[0]
    np.testing.assert_allclose(got, expected, atol=1e-5)
    with pytest.raises(ValueError, match="ref_steps to start at 1"):
        reference_pose_prior(CMUHumanoidTrackingEnv(snippets=["02_01-0-95"], ref_steps=(2, 3)), gain)


def test_correction_decay_scales_the_warm_start_and_nothing_else(env):
    warm_starts, actions = {}, {}
    for decay in (1.0, 0.5):
        env.reset(seed=4)
        expert = TrackingMPC(**CHEAP, correction_decay=decay)
        expert.reset()
        actions[decay] = expert.act(env, np.random.default_rng(7))
        warm_starts[decay] = expert._correction
    # the first plan starts from no correction, so it is the same; only what is carried over is scaled
    np.testing.assert_array_equal(actions[0.5], actions[1.0])
    assert np.abs(warm_starts[1.0]).max() > 0
    np.testing.assert_allclose(warm_starts[0.5], 0.5 * warm_starts[1.0], atol=1e-15)
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError, match="correction_decay"):
            TrackingMPC(correction_decay=bad)
