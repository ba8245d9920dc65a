"""The scripted expert solves every instruction of both DigiRL task files on the stub phone (the
env's success check is the judge), acting only through AitW actions built from the UI tree."""

import collections

import numpy as np
import pytest

from envsuite.android.env import AndroidStubEnv
from envsuite.android.expert import Expert, plan_for


def run_episode(env, expert, index, seed):
    observation, info = env.reset(seed=seed, options={"task_index": index})
    steps = 0
    while True:
        action = expert.act(info["ui_tree"], env.task)
        assert env.action_space.contains(action), action
        observation, reward, terminated, truncated, info = env.step(action)
        steps += 1
        if terminated or truncated:
            return info["success"], reward, steps


@pytest.mark.parametrize("task_set, lines", [("general", 545), ("webshop", 438)])
def test_the_expert_solves_every_task_of_the_file_within_its_horizon(task_set, lines):
    env = AndroidStubEnv(task_set, render_width=108, render_height=240)
    expert = Expert(env.device.apps)
    assert len(env.tasks) == lines
    solved = collections.defaultdict(list)
    for index, task in enumerate(env.tasks):
        success, reward, steps = run_episode(env, expert, index, seed=index)
        solved[task.family].append(success)
        assert success and reward == 1.0 and steps <= task.horizon, task.instruction
    assert sum(len(v) for v in solved.values()) == lines


def test_the_expert_recovers_from_a_phone_left_elsewhere():
    """From any screen noise may leave (another app, a wrong result, a half-typed query) it still gets there."""
    env = AndroidStubEnv("webshop", render_width=108, render_height=240, horizon=40)
    expert = Expert(env.device.apps)
    index = next(i for i, t in enumerate(env.tasks) if t.slots.get("first"))
    env.reset(seed=0, options={"task_index": index})
    phone = env.device
    # leave the phone on YouTube with a typed query, then on another shop's results
    phone.tap(*_centre(phone, "YouTube"))
    phone.tap(*_centre(phone, "Search YouTube"))
    phone.type_text("cats")
    info = env._info(None, False, False)
    for _ in range(env.horizon):
        _, reward, terminated, truncated, info = env.step(expert.act(info["ui_tree"], env.task))
        if terminated or truncated:
            break
    assert info["success"] and reward == 1.0


def test_plans_follow_the_app_files():
    env = AndroidStubEnv("general", render_width=108, render_height=240)
    expert = Expert(env.device.apps)
    from envsuite.android.tasks import parse

    plan = plan_for(parse("Turn on airplane mode"), env.device.apps)
    assert (plan.app, plan.target, plan.final) == ("settings", "network", ("tap", "airplane_mode"))
    assert expert.route(plan, "main") == [("tap", "network")]
    install = plan_for(parse("Install the Pandora app"), env.device.apps)
    assert expert.route(install, "main") == [("fill", "store_search"), ("entry", None)]
    shop = plan_for(parse('Go to costco.com, search for "razer blade", and select the first entry'), env.device.apps)
    assert expert.route(shop, "main") == [("fill", "search"), ("fill", "costco_search"), ("entry", None)]
    assert expert.route(shop, "page") == []  # a dead end: the expert presses back


def _centre(phone, text):
    element = next(e for e in phone.elements() if e.text.startswith(text) and e.clickable)
    y, x, h, w = element.box
    return np.float64(y + h / 2), np.float64(x + w / 2)
