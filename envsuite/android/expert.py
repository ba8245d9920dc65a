"""The scripted expert of the Android family: reads the phone's UI tree (as an Appium script reads
Android's accessibility tree and current activity) and acts with AitW actions.

Where it sits: envsuite/android/, used by the datasets (datagen/android.py), the benchmark and the
tests that prove every parsed task solvable. It knows the apps' menus (assets/android/apps/*.json)
the way a person who knows Android does, and nothing of the task's hidden state.

Each task becomes a `Plan`: the app to be in, the screen to reach, the text to type into each input
on the way, which list entry to pick, and what to do once there. Every step, `Expert.act`:
1. not in the plan's app: from the launcher tap its icon, elsewhere PRESS_HOME;
2. finds the shortest way through the app's screens to the target (a breadth-first search over the
   app file: buttons, inputs that submit, list entries) and takes its first step: tap the button,
   fill the input (tap it, TYPE, PRESS_ENTER) or tap the chosen list entry (swiping up to find it,
   PRESS_BACK first to hide the keyboard);
3. on a screen from which the target cannot be reached: PRESS_BACK;
4. on the target: the plan's last action (flip a switch, fill the alarm form, tap Install); with
   none left the task would be done and the episode over, so the entry picked was wrong: PRESS_BACK;
5. about to pick a list entry under an input that holds other text than the plan's: fill it again.
Being in the plan's app is all an open_app task needs: STATUS_TASK_COMPLETE.
It is stateless: the same tree and task give the same action, so it recovers from any state noise
put the phone in. `random_ui_action` is the noise mixed datasets take instead of the expert's action
with probability epsilon (datagen/android.py).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from envsuite.android import spaces
from envsuite.android.tasks import Task, _normal, spoken_time

SWIPE_UP = ((0.7, 0.5), (0.3, 0.5))  # finger moves up: the list moves up, showing entries further down


@dataclass(frozen=True)
class Plan:
    app: str
    target: str | None  # the screen to reach (None: being in the app is enough)
    texts: dict = field(default_factory=dict)  # input id -> the text to type into it
    choose: str | None = None  # the list entry to tap (normalized text); None: the first entry
    final: tuple | None = None  # ("tap", element id) / ("fill", input id) on the target; None: done


def plan_for(task: Task, apps: dict) -> Plan:
    """How to carry out a task on this phone's apps."""
    slots, family = task.slots, task.family
    if family == "webshop":
        shop = slots["site"].split(".")[0]
        if slots["query"] is None:
            return Plan("browser", f"{shop}_home", {"search": slots["site"]})
        texts = {"search": slots["site"], f"{shop}_search": slots["query"]}
        return Plan("browser", f"{shop}_product" if slots["first"] else f"{shop}_results", texts)
    if family == "web_search":
        return Plan("browser", "results", {"search": slots["query"]})
    if family == "open_site":
        return Plan("browser", f"{slots['site'].split('.')[0]}_home", {"search": slots["site"]})
    if family == "browser_tab":
        return Plan("browser", "incognito_tab" if slots["private"] else "new_tab")
    if family == "maps_search":
        return Plan("maps", "results", {"maps_search": slots["query"]})
    if family == "directions":
        return Plan("maps", "directions", {"maps_search": slots["query"]})
    if family == "settings":
        screen, element_id = _toggle_screen(apps["settings"], slots["setting"])
        return Plan("settings", screen, final=("tap", element_id))
    if family == "notifications":
        return Plan("settings", "app_info", choose=_normal(slots["app"]), final=("tap", "notifications"))
    if family == "app_settings":
        return Plan("settings", "app_info", choose=_normal(slots["app"]))
    if family == "alarm":
        return Plan("clock", "new", {"alarm_time": spoken_time(slots["time"])}, final=("fill", "alarm_time"))
    if family == "install":
        return Plan("playstore", "app", {"store_search": slots["app"]}, choose=_normal(slots["app"]),
                    final=("tap", "install"))
    if family == "video":
        return Plan("youtube", "watch", {"video_search": " ".join(slots["words"])})
    if family == "open_app":
        return Plan(slots["app"], None)
    raise ValueError(f"the expert has no plan for task family {family!r}")


def _toggle_screen(app: dict, setting: str) -> tuple[str, str]:
    for name, screen in app["screens"].items():
        for element in screen.get("elements", []):
            if element.get("type") == "TOGGLE" and element.get("toggle") == setting:
                return name, element.get("id", "")
    raise ValueError(f"no settings screen has a switch for {setting!r}")


class Expert:
    """`act(tree, task)` -> an AitW action dict (spaces.action_space()); `tree` is Device.ui_tree()."""

    def __init__(self, apps: dict):
        self.apps = apps
        self._plans: dict[str, Plan] = {}

    def plan(self, task: Task) -> Plan:
        if task.instruction not in self._plans:
            self._plans[task.instruction] = plan_for(task, self.apps)
        return self._plans[task.instruction]

    def act(self, tree: dict, task: Task) -> dict:
        plan = self.plan(task)
        if tree["app"] != plan.app:
            if tree["app"] == "launcher":
                return self._tap(tree, element_id=f"icon_{plan.app}")
            return spaces.make_action(spaces.PRESS_HOME)
        if plan.target is None:
            return spaces.make_action(spaces.STATUS_TASK_COMPLETE)
        if tree["screen"] == plan.target:
            if plan.final is None:
                # the env ends an episode on success, so this is the wrong item (noise picked it): go back
                return spaces.make_action(spaces.PRESS_BACK)
            kind, element_id = plan.final
            if kind == "fill":
                return self._fill(tree, element_id, plan.texts[element_id])
            return self._tap(tree, element_id=element_id)
        route = self.route(plan, tree["screen"])
        if not route:
            return spaces.make_action(spaces.PRESS_BACK)
        kind, what = route[0]
        if kind == "entry":  # a list of results: first make sure they are results for the plan's text
            for element in tree["elements"]:
                wanted = plan.texts.get(element["id"])
                if element["type"] == "INPUT" and wanted is not None and element["text"] != wanted:
                    return self._fill(tree, element["id"], wanted)
        if kind == "tap":
            return self._tap(tree, element_id=what)
        if kind == "fill":
            return self._fill(tree, what, plan.texts[what])
        return self._tap_entry(tree, plan.choose)

    # --- the way through an app's screens -----------------------------------------------------

    def route(self, plan: Plan, start: str) -> list[tuple[str, str | None]]:
        """The steps from screen `start` to the plan's target ([] when it cannot be reached)."""
        screens = self.apps[plan.app]["screens"]
        previous: dict[str, tuple[str, tuple]] = {start: (start, ())}
        queue = deque([start])
        while queue:
            name = queue.popleft()
            if name == plan.target:
                steps = []
                while name != start:
                    name, step = previous[name]
                    steps.append(step)
                return steps[::-1]
            for step, after in self._moves(plan, screens[name]):
                if after in screens and after not in previous:
                    previous[after] = (name, step)
                    queue.append(after)
        return []

    def _moves(self, plan: Plan, screen: dict):
        """(step, screen it leads to) for every way out of a screen the plan can take."""
        app = self.apps[plan.app]
        for element in screen.get("elements", []):
            if element.get("type") == "INPUT":
                text = plan.texts.get(element.get("id"))
                if text is None:
                    continue  # the plan has nothing to type here
                address = text.strip().casefold()
                if element.get("addresses") and address in app.get("sites", {}):
                    yield ("fill", element["id"]), app["sites"][address]
                elif element.get("submit"):
                    yield ("fill", element["id"]), element["submit"]
            elif element.get("open") and element.get("id"):
                yield ("tap", element["id"]), element["open"]
        if screen.get("results"):
            entry_screens = {entry.get("open") for entry in app.get("corpus", {}).get(screen["results"], [])}
            for after in sorted(entry_screens | {screen.get("synthesize")} - {None}):
                yield ("entry", None), after

    # --- actions on what is on the screen -----------------------------------------------------

    def _tap(self, tree: dict, element_id: str) -> dict:
        element = next((e for e in tree["elements"] if e["id"] == element_id and e["clickable"]), None)
        if element is None:
            return self._look_further(tree)
        return _tap_on(element)

    def _fill(self, tree: dict, input_id: str, text: str) -> dict:
        element = next((e for e in tree["elements"] if e["id"] == input_id and e["type"] == "INPUT"), None)
        if element is None:
            return self._look_further(tree)
        if tree["focus"] != input_id:
            return _tap_on(element)
        if element["text"] == text:
            return spaces.make_action(spaces.PRESS_ENTER)
        if tree["selected"]:
            return spaces.make_action(spaces.TYPE, typed_text=text)
        return _tap_on(element)  # it holds other text: tap to select it, then type over it

    def _tap_entry(self, tree: dict, choose: str | None) -> dict:
        entries = [e for e in tree["elements"] if e["type"] == "LIST_ITEM" and e["clickable"]]
        if choose is not None:
            entries = [e for e in entries if _normal(e["text"]) == choose]
        if not entries:
            return self._look_further(tree)
        return _tap_on(entries[0])

    def _look_further(self, tree: dict) -> dict:
        """What to do when the element wanted is not on the screen: hide the keyboard, else scroll."""
        if tree["keyboard"]:
            return spaces.make_action(spaces.PRESS_BACK)
        return spaces.make_action(spaces.DUAL_POINT, *SWIPE_UP)


def run_episode(env, expert: Expert, *, seed: int, task_index: int, rng=None, epsilon: float = 0.0) -> dict:
    """One episode of the stub env (env.py) on task `task_index` under the expert, which takes a random
    UI action instead with probability `epsilon` (drawn from `rng` every step). Returns the
    observations before each step, the actions taken, the expert's own actions, rewards, successes,
    which steps were random, whether the episode terminated, and the final observation and info."""
    if epsilon and rng is None:
        raise ValueError("epsilon > 0 needs an rng for the random actions")
    observation, info = env.reset(seed=seed, options={"task_index": task_index})
    steps = {"observations": [], "actions": [], "expert_actions": [], "rewards": [], "successes": [], "random": []}
    while True:
        wanted = expert.act(info["ui_tree"], env.task)
        random_step = bool(rng.random() < epsilon) if rng is not None else False
        action = random_ui_action(info["ui_tree"], rng) if random_step else wanted
        steps["observations"].append(observation)
        observation, reward, terminated, truncated, info = env.step(action)
        for key, value in (("actions", action), ("expert_actions", wanted), ("rewards", reward),
                           ("successes", info["success"]), ("random", random_step)):
            steps[key].append(value)
        if terminated or truncated:
            return {**steps, "terminated": terminated, "final_observation": observation, "info": info}


RANDOM_WORDS = ("hello", "news", "weather", "laptop", "shoes", "pizza", "music", "settings", "a", "123")
# how often each kind of random UI action is drawn: taps on what is on the screen dominate, as in
# AitW's human episodes
RANDOM_ACTION_WEIGHTS = {"tap_element": 0.45, "tap_anywhere": 0.1, "swipe": 0.15, "back": 0.12, "home": 0.05,
                         "type": 0.08, "enter": 0.05}


def random_ui_action(tree: dict, rng) -> dict:
    """A random AitW action that does something plausible on this screen (the noise of mixed datasets)."""
    kinds = list(RANDOM_ACTION_WEIGHTS)
    kind = kinds[int(rng.choice(len(kinds), p=list(RANDOM_ACTION_WEIGHTS.values())))]
    clickable = [e for e in tree["elements"] if e["clickable"]]
    if kind == "tap_element" and clickable:
        return _tap_on(clickable[int(rng.integers(len(clickable)))])
    if kind in ("tap_element", "tap_anywhere"):
        return spaces.make_action(spaces.DUAL_POINT, rng.uniform(0.0, 1.0, 2))
    if kind == "swipe":
        x = rng.uniform(0.2, 0.8)
        start, end = sorted(rng.uniform(0.2, 0.85, 2))
        touch, lift = ((end, x), (start, x)) if rng.random() < 0.7 else ((start, x), (end, x))
        return spaces.make_action(spaces.DUAL_POINT, touch, lift)
    if kind == "type":
        return spaces.make_action(spaces.TYPE, typed_text=RANDOM_WORDS[int(rng.integers(len(RANDOM_WORDS)))])
    return spaces.make_action({"back": spaces.PRESS_BACK, "home": spaces.PRESS_HOME, "enter": spaces.PRESS_ENTER}[kind])


def _tap_on(element: dict) -> dict:
    y, x, h, w = element["box"]
    return spaces.make_action(spaces.DUAL_POINT, (y + h / 2, x + w / 2))


__all__ = ["Expert", "Plan", "plan_for", "random_ui_action", "run_episode"]
