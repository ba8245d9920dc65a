"""Tasks: free-text instructions (DigiRL / AitW style) parsed into templates with success checks on
the device's state.

Where it sits: the Android family (envsuite/android/), between the instruction files
(../shared/data/android/*.txt) and the envs (to come: reward 1 on success). `parse(instruction)`
returns a Task or None; `coverage(path)` reports which lines of a file parse, with the reason for
each that does not. A parsed task is solvable in principle (its apps exist and its check reads state
they keep); the scripted expert (to come) is what will prove each family solvable.

Families (so far):
- webshop: "Go to costco.com[, search for "x"[, and select the first entry]]" -> on the site's home;
  on its results for x; on the product page of its first result (horizon 20, DigiRL's Web Shopping);
- web_search: questions and searches ("What's the news in Malaysia?", "Google the capital of
  Ecuador", "Search for hotels in San Diego", ...) -> a results list (or a page opened from it) for a
  query that contains every content word of the instruction's subject (horizon 10, DigiRL's General);
- settings: "Turn on/off Wi-Fi / Bluetooth / airplane mode / dark mode" -> the setting is so;
- alarm: "Set an alarm for 5pm" -> the clock keeps an alarm at that time;
- app_settings: "Check the settings for the Spotify app" -> Settings' app info of that app is open;
- install: "Install the Pandora app" -> the Play Store has installed it;
- open_app: "Open the clock app", "Open the play store" -> that app is on the screen;
- video: "Play the new Taylor Swift video on YouTube", "Play the latest video from the New York
  Times" -> YouTube plays a video whose title holds every content word of who.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

WEBSHOP = re.compile(r'^go to (?P<site>[a-z0-9]+\.com)(?:, search for "(?P<query>[^"]+)")?'
                     r'(?P<first>,? and select the first entry)?\s*$', re.I)
QUESTION = re.compile(r"^(what|what's|whats|how|who|where|when|which|is|are|can|does|do|why|tell me)\b", re.I)
SEARCH = re.compile(r"^(?:google|search(?: for)?|find|look up|show me)\s+(?P<subject>.+)$", re.I)
SETTING = re.compile(r"^(?:turn|switch)\s+(?P<state>on|off)\s+(?:the\s+)?(?P<what>.+?)$|"
                     r"^(?:turn|switch)\s+(?:the\s+)?(?P<what2>.+?)\s+(?P<state2>on|off)$", re.I)
APP_SETTINGS = re.compile(r"^check the settings for the (?P<app>.+?) app$", re.I)
INSTALL = re.compile(r"^install the (?P<app>.+?) app$", re.I)
VIDEO = re.compile(r"^play the (?:new|latest) (?P<who>.+?) video(?: on youtube)?$|"
                   r"^play the latest video from (?:the )?(?P<who2>.+?)$", re.I)
OPEN_APP = re.compile(r"^open (?:the )?(?P<app>.+?)(?: app)?$", re.I)
APP_NAMES = {"settings": "settings", "clock": "clock", "play store": "playstore", "google play store": "playstore",
             "youtube": "youtube", "chrome": "browser", "google chrome": "browser"}  # what users call the phone's apps
ALARM = re.compile(r"^set an alarm (?:for|at) (?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<half>am|pm)?\s*$", re.I)
SETTING_NAMES = {"wifi": "wifi", "wi-fi": "wifi", "bluetooth": "bluetooth", "airplane mode": "airplane_mode",
                 "dark mode": "dark_mode", "dark theme": "dark_mode"}
STOPWORDS = frozenset("a an the of in on for to is are what what's whats how who where when which does do can "
                      "me my i you it this that be with about at and or by from tell show find google search "
                      "look up".split())
HORIZONS = {"webshop": 20, "web_search": 10, "settings": 10, "alarm": 10, "app_settings": 10, "install": 10,
            "video": 10, "open_app": 10}


@dataclass(frozen=True)
class Task:
    instruction: str
    family: str
    slots: dict = field(default_factory=dict)

    @property
    def horizon(self) -> int:
        return HORIZONS[self.family]

    def is_success(self, device) -> bool:
        """Whether the device's state completes the task (see the module docstring per family)."""
        frame = device.current
        if self.family == "webshop":
            shop = self.slots["site"].split(".")[0]
            if self.slots.get("query") is None:
                return frame.app == "browser" and frame.screen == f"{shop}_home"
            query = _normal(self.slots["query"])
            if not self.slots.get("first"):
                return frame.screen == f"{shop}_results" and _normal(frame.params.get("query", "")) == query
            first = _first_result(device, frame, shop)
            return frame.screen == f"{shop}_product" and first is not None and frame.params.get("item") == first
        if self.family == "web_search":
            words = self.slots["words"]
            searched = [_normal(text) for input_id, text in device.submitted if input_id == "search"]
            on_results = frame.app == "browser" and frame.screen in ("results", "page")
            return on_results and any(all(word in query.split() for word in words) for query in searched)
        if self.family == "settings":
            return bool(device.settings.get(self.slots["setting"])) == self.slots["on"]
        if self.family == "alarm":
            return self.slots["time"] in {_alarm_time(text) for text in device.records.get("alarms", [])}
        if self.family == "app_settings":
            return (frame.app == "settings" and frame.screen == "app_info"
                    and _normal(frame.params.get("item", "")) == _normal(self.slots["app"]))
        if self.family == "install":
            return _normal(self.slots["app"]) in {_normal(item) for item in device.records.get("installed", [])}
        if self.family == "open_app":
            return frame.app == self.slots["app"]
        if self.family == "video":
            playing = _normal(frame.params.get("item", "")).split()
            return (frame.app == "youtube" and frame.screen == "watch"
                    and all(word in playing for word in self.slots["words"]))
        raise ValueError(f"unknown task family {self.family!r}")


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s'-]", " ", text.casefold()).split())


def _content_words(text: str) -> list[str]:
    return [word for word in _normal(text).split() if word not in STOPWORDS]


def _first_result(device, frame, shop) -> str | None:
    """The first entry the shop's results list showed for the searched query (the stack below the product)."""
    for below in reversed(device.stack[:-1]):
        if below.screen == f"{shop}_results":
            screen = device.apps[below.app]["screens"][below.screen]
            rows = device._rows(below, screen)
            items = [row["text"] for row in rows if row.get("type") == "LIST_ITEM"]
            return items[0] if items else None
    return None


def _alarm_time(text: str) -> str | None:
    """'5:00 PM', '17:00', '5pm' -> '17:00'; None if it is not a time."""
    match = re.match(r"^\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s*$", text, re.I)
    if not match:
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").lower()
    if half == "pm" and hour < 12:
        hour += 12
    if half == "am" and hour == 12:
        hour = 0
    return f"{hour:02d}:{minute:02d}" if hour < 24 and minute < 60 else None


def parse(instruction: str) -> Task | None:
    """The task an instruction asks for, or None when no family covers it."""
    text = instruction.strip()
    if (match := WEBSHOP.match(text)) is not None:
        return Task(text, "webshop", {"site": match["site"].lower(), "query": match["query"],
                                      "first": bool(match["first"])})
    if (match := APP_SETTINGS.match(text)) is not None:
        return Task(text, "app_settings", {"app": match["app"]})
    if (match := INSTALL.match(text)) is not None:
        return Task(text, "install", {"app": match["app"]})
    if (match := VIDEO.match(text)) is not None:
        words = _content_words(match["who"] or match["who2"])
        return Task(text, "video", {"words": words}) if words else None
    if (match := OPEN_APP.match(text)) is not None and match["app"].lower() in APP_NAMES:
        return Task(text, "open_app", {"app": APP_NAMES[match["app"].lower()]})
    if (match := ALARM.match(text)) is not None:
        time = _alarm_time(f"{match['hour']}:{match['minute'] or '00'} {match['half'] or ''}")
        return Task(text, "alarm", {"time": time}) if time else None
    if (match := SETTING.match(text)) is not None:
        what = (match["what"] or match["what2"]).lower()
        state = (match["state"] or match["state2"]).lower()
        if what in SETTING_NAMES:
            return Task(text, "settings", {"setting": SETTING_NAMES[what], "on": state == "on"})
        return None
    if (match := SEARCH.match(text)) is not None or QUESTION.match(text):
        subject = match["subject"] if match is not None else text
        words = _content_words(subject)
        return Task(text, "web_search", {"words": words}) if words else None
    return None


def coverage(path) -> dict:
    """Which lines of an instruction file parse into tasks: counts per family and the uncovered lines."""
    lines = [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
    families: dict[str, int] = {}
    uncovered = []
    for line in lines:
        task = parse(line)
        if task is None:
            uncovered.append(line)
        else:
            families[task.family] = families.get(task.family, 0) + 1
    covered = len(lines) - len(uncovered)
    return {"lines": len(lines), "covered": covered, "fraction": covered / len(lines) if lines else 0.0,
            "families": families, "uncovered": uncovered}
