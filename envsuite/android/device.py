"""An emulator-free Android phone: screens of UI elements that mean something, rendered with Pillow.

Where it sits: the Android family's device layer (envsuite/android/). Apps are data
(assets/android/apps/*.json, loaded by apps.py); the envs (to come) drive a `Device` with AitW's
actions and read its UI tree as annotations.

The phone:
- a status bar (the clock) on top, a navigation bar (back, home) at the bottom, the app's title bar
  and its elements between, laid out top to bottom in rows; a list longer than the screen scrolls;
- an app stack: the launcher (a grid of app icons) at its bottom; opening a screen pushes it,
  `press_back` pops it (or first hides the keyboard), `press_home` returns to the launcher;
- elements (type TEXT, ICON, BUTTON, TOGGLE, INPUT, LIST_ITEM) with bounding boxes, text and
  clickability; a tap hits the topmost clickable element under it: BUTTON / ICON / LIST_ITEM open
  their target, TOGGLE flips its setting, INPUT takes the focus and shows the keyboard;
- `type_text` writes into the focused input; tapping an input selects its text, so the first typing
  after a tap replaces it and later typing appends (no delete key is needed); `press_enter` submits it: an input with `record` adds
  the text to that record list of the device (alarms, contacts, ...), and its `submit` screen opens
  with the text as its query; a screen with `records` lists one of those lists; a results screen
  lists the corpus entries containing every word of its query, or, with `synthesize`, deterministic
  pages named after a query the corpus lacks (its `variants`, or three default ones); an address bar
  (`addresses`) opens the app's `sites` screen for a known address (`costco.com`); a button with
  `record` adds the item its screen shows to that record list (an app store's Install);
- a vertical swipe over a scrollable screen scrolls it by the swipe's length;
- a toggle's setting may name the item its screen shows (`"toggle": "notifications:{item}"`: one
  switch per app, keyed by the item in lower case); a setting never set takes its app's `"prefix:*"` default (`setting()`);
- opening a screen from a screen about an item (a place, an app, a product) carries the item along;
- a screen with `evaluate` shows the value of the arithmetic its query holds (a calculator);
- apps may start with records (`"records": {"contacts": [...]}` in the app file).
Coordinates are yx fractions of the screen in [0, 1] (AitW's convention); boxes are (y, x, h, w).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

ELEMENT_TYPES = ("TEXT", "ICON", "BUTTON", "TOGGLE", "INPUT", "LIST_ITEM")
STATUS_BAR, NAV_BAR, TITLE_BAR, ROW = 0.04, 0.06, 0.08, 0.075  # heights as fractions of the screen
KEYBOARD = 0.35
LAUNCHER_COLUMNS = 4
SYNTHESIZED_RESULTS = ("- Wikipedia", "- latest news", "- answers and guides")  # pages for a query the corpus lacks


@dataclass
class Element:
    """One UI element on the screen now: its box (y, x, h, w), text, type and what a tap does."""

    type: str
    text: str
    box: tuple[float, float, float, float]
    clickable: bool
    action: dict = field(default_factory=dict)  # {"open": screen} / {"launch": app} / {"toggle": key} / {"focus": id}
    id: str = ""


@dataclass
class Frame:
    """An entry of the app stack: an app's screen, its parameters and its scroll offset."""

    app: str
    screen: str
    params: dict = field(default_factory=dict)
    scroll: float = 0.0


class Device:
    """A phone running `apps` (name -> app definition, see apps.py). State lives in `settings`,
    `stack`, `inputs` (text typed per input id) and `focus`."""

    def __init__(self, apps: dict, width: int = 1080, height: int = 2400, clock: str = "12:00"):
        if not apps:
            raise ValueError("a Device needs at least one app")
        self.apps = apps
        self.width, self.height, self.clock = int(width), int(height), clock
        self.reset()

    def reset(self, settings: dict | None = None) -> None:
        """Back to the launcher with the apps' initial state; `settings` overrides some settings."""
        self.settings = {key: copy.deepcopy(value) for app in self.apps.values()
                         for key, value in app.get("settings", {}).items()}
        self.settings.update(settings or {})
        self.initial_settings = dict(self.settings)  # what "toggle" tasks compare against
        self.stack: list[Frame] = [Frame("launcher", "home")]
        self.inputs: dict[str, str] = {}
        self.focus: str | None = None
        self._replace_next = False  # the focused input's text is selected: typing replaces it
        self.submitted: list[tuple[str, str]] = []  # (input id, text) of every submitted input, in order
        # lists kept by apps: "alarms", "contacts", ... (inputs with `record`), seeded by the app files
        self.records: dict[str, list[str]] = {name: list(items) for app in self.apps.values()
                                              for name, items in app.get("records", {}).items()}
        self.history: list[str] = ["launcher/home"]

    def setting(self, key: str, initial: bool = False) -> bool:
        """A setting's value now (or at reset, `initial`); one never set takes the `prefix:*` default
        of its family (else False)."""
        settings = self.initial_settings if initial else self.settings
        if key in settings:
            return bool(settings[key])
        prefix = key.split(":", 1)[0]
        return bool(settings.get(f"{prefix}:*", False))

    # --- what is on the screen -----------------------------------------------------------

    @property
    def current(self) -> Frame:
        return self.stack[-1]

    @property
    def keyboard_shown(self) -> bool:
        return self.focus is not None

    def content_area(self) -> tuple[float, float]:
        """(top, bottom) of the area the app's elements are laid out in."""
        bottom = 1.0 - NAV_BAR - (KEYBOARD if self.keyboard_shown else 0.0)
        return STATUS_BAR + TITLE_BAR, bottom

    def elements(self) -> list[Element]:
        """The elements visible now, laid out (status bar clock, title, the screen's rows)."""
        frame = self.current
        visible = [Element("TEXT", self.clock, (0.005, 0.03, STATUS_BAR - 0.01, 0.12), False, id="clock")]
        if frame.app == "launcher":
            return visible + self._launcher()
        screen = self._screen(frame)
        visible.append(Element("TEXT", screen.get("title", self.apps[frame.app]["label"]),
                               (STATUS_BAR + 0.015, 0.05, TITLE_BAR - 0.03, 0.9), False, id="title"))
        top, bottom = self.content_area()
        for row, spec in enumerate(self._rows(frame, screen)):
            y = top + row * ROW - frame.scroll
            if y < top - 1e-9 or y + ROW > bottom + 1e-9:
                continue
            visible.append(self._element(spec, (y + 0.01, 0.05, ROW - 0.02, 0.9)))
        return visible

    def _launcher(self) -> list[Element]:
        icons = []
        names = [name for name in self.apps if name != "launcher"]
        size = 0.8 / LAUNCHER_COLUMNS
        for i, name in enumerate(names):
            row, column = divmod(i, LAUNCHER_COLUMNS)
            box = (STATUS_BAR + 0.05 + row * 0.12, 0.1 + column * size, 0.09, size * 0.8)
            icons.append(Element("ICON", self.apps[name]["label"], box, True, {"launch": name}, id=f"icon_{name}"))
        return icons

    def _screen(self, frame: Frame) -> dict:
        try:
            return self.apps[frame.app]["screens"][frame.screen]
        except KeyError:
            raise KeyError(f"app {frame.app!r} has no screen {frame.screen!r}") from None

    def _rows(self, frame: Frame, screen: dict) -> list[dict]:
        rows = list(screen.get("elements", []))
        if screen.get("records"):  # a list the device keeps (e.g. the alarms set so far)
            rows += [{"type": "TEXT", "text": text} for text in self.records.get(screen["records"], [])]
        if screen.get("evaluate"):  # a calculator: the value of the expression it was given
            rows.append({"type": "TEXT", "text": f"= {evaluate(frame.params.get('query', ''))}", "id": "value"})
        results = screen.get("results")
        if results is not None:  # a screen listing the entries of a corpus that match its query
            query = frame.params.get("query", "")
            matches = [entry for entry in self.apps[frame.app].get("corpus", {}).get(results, [])
                       if all(word in entry["text"].casefold() for word in query.casefold().split())]
            if not matches and query.strip() and screen.get("synthesize"):
                # any other query still finds pages: the same three for the same query, every time
                matches = [{"text": f"{query.strip()} {suffix}".strip(), "open": screen["synthesize"]}
                           for suffix in screen.get("variants", SYNTHESIZED_RESULTS)]
            for entry in matches:
                rows.append({"type": "LIST_ITEM", "text": entry["text"], "open": entry.get("open", ""),
                             "params": {"item": entry["text"]}})
        return rows

    def list_items(self, frame: Frame) -> list[str]:
        """The texts of the list entries a frame of the stack shows (all of them, scrolled or not)."""
        return [row["text"] for row in self._rows(frame, self._screen(frame)) if row.get("type") == "LIST_ITEM"]

    def _element(self, spec: dict, box) -> Element:
        kind = spec.get("type", "BUTTON")
        if kind not in ELEMENT_TYPES:
            raise ValueError(f"element {spec} has type {kind!r}; known: {ELEMENT_TYPES}")
        text = spec.get("text", "")
        action: dict = {}
        if kind == "TOGGLE":
            key = spec["toggle"].format(item=self.current.params.get("item", "").casefold())
            text = f"{text}: {'On' if self.setting(key) else 'Off'}"
            action = {"toggle": key}
        elif kind == "INPUT":
            typed = self.inputs.get(spec["id"], "")
            text = typed or spec.get("hint", "")
            action = {"focus": spec["id"], "submit": spec.get("submit"), "record": spec.get("record"),
                      "addresses": bool(spec.get("addresses"))}
        elif spec.get("record"):  # e.g. an Install button: records the item this screen shows
            action = {"record": spec["record"], "open": spec.get("open", ""), "params": spec.get("params", {})}
        elif spec.get("open"):
            action = {"open": spec["open"], "params": spec.get("params", {})}
        clickable = kind != "TEXT" and bool(action)
        return Element(kind, text, box, clickable, action, id=spec.get("id", ""))

    # --- actions ------------------------------------------------------------------------

    def tap(self, y: float, x: float) -> Element | None:
        """Tap at (y, x); returns the element that took it (None: nothing clickable there)."""
        for element in reversed(self.elements()):
            top, left, h, w = element.box
            if element.clickable and top <= y <= top + h and left <= x <= left + w:
                self._activate(element)
                return element
        if self.keyboard_shown and y >= 1.0 - NAV_BAR - KEYBOARD:
            return None  # on the keyboard: AitW agents type with TYPE actions
        return None

    def _activate(self, element: Element) -> None:
        action = element.action
        if "launch" in action:
            self._push(Frame(action["launch"], self.apps[action["launch"]].get("start", "main")))
        elif "toggle" in action:
            self.settings[action["toggle"]] = not self.setting(action["toggle"])
        elif "record" in action and "focus" not in action:
            item = self.current.params.get("item", "")
            if item and item not in self.records.get(action["record"], []):
                self.records.setdefault(action["record"], []).append(item)
            if action.get("open"):
                self._push(Frame(self.current.app, action["open"], {"item": item}))
        elif "focus" in action:
            self.focus = action["focus"]
            self._replace_next = True  # a tapped input selects its text: the next typing replaces it
        elif action.get("open"):
            params = {"item": self.current.params["item"]} if "item" in self.current.params else {}
            self._push(Frame(self.current.app, action["open"], {**params, **action.get("params", {})}))

    def _push(self, frame: Frame) -> None:
        self.focus = None
        self.stack.append(frame)
        self.history.append(f"{frame.app}/{frame.screen}")

    def swipe(self, touch: tuple[float, float], lift: tuple[float, float]) -> None:
        """A vertical swipe scrolls the screen (up = further down the list); horizontal ones do nothing."""
        dy, dx = lift[0] - touch[0], lift[1] - touch[1]
        if abs(dy) < abs(dx) or self.current.app == "launcher":
            return
        frame = self.current
        top, bottom = self.content_area()
        rows = len(self._rows(frame, self._screen(frame)))
        limit = max(0.0, rows * ROW - (bottom - top))
        frame.scroll = float(np.clip(frame.scroll - dy, 0.0, limit))

    def type_text(self, text: str) -> bool:
        """Append text to the focused input; False if no input has the focus."""
        if self.focus is None:
            return False
        before = "" if self._replace_next else self.inputs.get(self.focus, "")
        self._replace_next = False
        self.inputs[self.focus] = before + text
        return True

    def press_enter(self) -> bool:
        """Submit the focused input (open its submit screen with the text as query); False if none."""
        if self.focus is None:
            return False
        spec = next((e for e in self.elements() if e.action.get("focus") == self.focus), None)
        text = self.inputs.get(self.focus, "")
        self.submitted.append((self.focus, text))
        target = spec.action.get("submit") if spec is not None else None
        record = spec.action.get("record") if spec is not None else None
        address = text.strip().casefold().removeprefix("https://").removeprefix("http://").removeprefix("www.")
        sites = self.apps[self.current.app].get("sites", {})
        if spec is not None and spec.action.get("addresses") and address in sites:
            target, text = sites[address], ""  # an address typed into the address bar opens that site
        if record and text.strip():
            self.records.setdefault(record, []).append(text.strip())
            self.inputs[self.focus] = ""  # a form clears once saved
        self.focus = None
        if target:
            self._push(Frame(self.current.app, target, {"query": text}))
        return True

    def press_back(self) -> None:
        if self.focus is not None:
            self.focus = None  # back first hides the keyboard, as on Android
        elif len(self.stack) > 1:
            self.stack.pop()

    def press_home(self) -> None:
        self.focus = None
        self.stack = [Frame("launcher", "home")]
        self.history.append("launcher/home")

    # --- observations -------------------------------------------------------------------

    def ui_tree(self, elements: list[Element] | None = None) -> dict:
        """What Android's accessibility tree and `dumpsys activity` tell an Appium script: the app and
        screen (package and activity) in front, the focused input, and each element's id, type, text,
        box and clickability (not what a tap on it will do). `elements`: self.elements(), if the caller
        has them already (the env reads them once per step for the screen, annotations and tree)."""
        frame = self.current
        return {"app": frame.app, "screen": frame.screen, "focus": self.focus, "selected": self.focus is not None and self._replace_next,
                "keyboard": self.keyboard_shown,
                "elements": [{"id": e.id, "type": e.type, "text": e.text, "box": e.box, "clickable": e.clickable}
                             for e in (self.elements() if elements is None else elements)]}

    def annotations(self, elements: list[Element] | None = None) -> tuple[np.ndarray, list[str], list[str]]:
        """AitW-style UI annotations: positions (K, 4) (y, x, h, w) in [0, 1], texts, types."""
        elements = self.elements() if elements is None else elements
        positions = np.array([e.box for e in elements], dtype=np.float32).reshape(-1, 4)
        return positions, [e.text for e in elements], [e.type for e in elements]


def evaluate(expression: str) -> str:
    """The value of + - * / arithmetic with parentheses, as a calculator shows it ("Error" otherwise)."""
    import ast
    import operator

    operators = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}

    def value(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in operators:
            return operators[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return -value(node.operand) if isinstance(node.op, ast.USub) else value(node.operand)
        raise ValueError("not arithmetic")

    text = expression.replace("x", "*").replace("\u00d7", "*").replace("\u00f7", "/").strip()
    if not text or len(text) > 64:
        return "Error"
    try:
        result = value(ast.parse(text, mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError, RecursionError):
        return "Error"
    return f"{result:g}" if isinstance(result, float) else str(result)
