"""Tasks: free-text instructions (DigiRL / AitW style) parsed into templates with success checks on
the device's state.

Where it sits: the Android family (envsuite/android/), between the instruction files
(assets/android/tasks/*.txt, DigiRL's train sets) and the env (env.py: reward 1 on success).
`parse(instruction)` returns a Task or None; `coverage(path)` reports which lines of a file parse,
with each line that does not; the scripted expert (expert.py) solving every parsed line of both
files is what proves each family solvable (tests/android/test_expert.py).

Families, their instruction styles and what success is:
- webshop: "Go to costco.com[, search for "x"[, and select the first entry]]" -> on the site's home;
  on its results for x; on the product page of its first result (horizon 20, DigiRL's Web Shopping)
- web_search: questions and searches ("What's the news in Malaysia?", "Google the capital of
  Ecuador", ...) -> a browser results list (or a page opened from it) for a submitted query holding
  every content word of the subject (horizon 10, like every family below: DigiRL's General)
- maps_search: "Search for good pizza restaurants on Maps" -> Maps lists places for such a query
- directions: "How do I get to the nearest Starbucks?" -> Maps shows directions to such a place
- open_site: "Go to Reddit", "Open Reddit" -> the browser shows reddit.com
- browser_tab: "Open a new [incognito|private] tab/window in Chrome" -> Chrome shows a new (incognito) tab
- settings: "Turn on/off Wi-Fi / Bluetooth / airplane mode / dark mode" -> the setting is so
- notifications: "Turn on/off / Toggle notifications for the X app" -> that app's switch is so (or flipped)
- alarm: "Set an alarm for 5pm" -> the clock keeps an alarm at that time
- app_settings: "Check the settings for the Spotify app" -> Settings' app info of that app is open
- install: "Install the Pandora app" -> the Play Store has installed it
- open_app: "Open the calculator", "Check my email", "Open the downloads" -> that app is on the screen
- video: "Play the new Taylor Swift video on YouTube", "Play some music on YouTube" -> YouTube plays
  a video whose title holds every content word of what was asked for
Instructions with a space lost between two words ("Searchfor", "Checkthe", "alarmfor", all in
DigiRL's file) are read with the space put back.

What a person reads the same way parses the same (`normalise`): typographic quotes and apostrophes,
any case, runs of spaces, a trailing '.', '!' or ';', a line wrapped in quotes, "5 p.m."; a web-shop
query in double, single, typographic or no quotes, with the site first ("Go to / Open / Visit
costco.com, search for ...") or last ("Search for ... on costco.com"), and "select / click / open
the first entry / result / item". A line no family reads is never dropped silently: `parse_instruction`
gives the reason, `coverage(path)` lists each such line with its number and reason, and
`load_tasks(path)` refuses a file holding any (UnparsedInstructionsError) unless `skip_unparsed=True`,
which returns them beside the tasks (`read_task_file`). Files are read as UTF-8 (with or without a
BOM), else as Windows-1252, with any line ending.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

# web-shop instructions: the site, then what to search for, then whether to open the first result
WEBSHOP_SITE_FIRST = re.compile(r"^(?:please\s+)?(?:go to|open|visit|navigate to|browse to)\s+(?:the\s+)?(?:website\s+)?"
                                r"(?:www\.)?(?P<site>[a-z0-9-]+\.com)/?(?:\s+website)?(?P<rest>.*)$", re.I)
WEBSHOP_SITE_LAST = re.compile(r"^(?:please\s+)?search(?:\s+for)?\s+(?P<query>.+?)\s+on\s+(?:www\.)?(?P<site>[a-z0-9-]+\.com)"
                               r"(?P<rest>.*)$", re.I)
WEBSHOP_QUERY = re.compile(r"^[,;]?\s*(?:and\s+|then\s+)*search(?:\s+for)?\s+(?P<query>.+?)\s*$", re.I)
WEBSHOP_FIRST = re.compile(r"[,;]?\s*(?:and\s+|then\s+)*(?:select|click(?:\s+on)?|open|choose|pick|tap(?:\s+on)?)\s+"
                           r"the\s+first\s+(?:entry|result|item|one|product|listing)\s*$", re.I)
# the shops of the phone's browser (assets/android/apps/browser.json; a test keeps the two equal)
WEB_SHOPS = ("bestbuy", "costco", "ebay", "newegg", "walmart")
QUESTION = re.compile(r"^(what|what's|whats|how|who|where|when|which|is|are|can|does|do|why|tell me)\b", re.I)
SEARCH = re.compile(r"^(?:google|search(?: for)?|find|look up|show me)\s+(?P<subject>.+)$", re.I)
MAPS_SEARCH = re.compile(r"^(?:search for|find|show me)\s+(?P<subject>.+?)\s+on (?:google )?maps\??$", re.I)
DIRECTIONS = re.compile(r"^(?:how do i get to|directions to|navigate to)\s+(?P<place>.+?)\??$", re.I)
OPEN_SITE = re.compile(r"^(?:go to|open)\s+(?P<site>reddit)(?:\.com)?$", re.I)
BROWSER_TAB = re.compile(r"^open a new (?:chrome )?(?P<private>incognito |private )?(?:chrome )?(?:tab|window)"
                         r"(?: in (?:the )?chrome(?: app)?)?$", re.I)
SETTING = re.compile(r"^(?:turn|switch)\s+(?P<state>on|off)\s+(?:the\s+)?(?P<what>.+?)$|"
                     r"^(?:turn|switch)\s+(?:the\s+)?(?P<what2>.+?)\s+(?P<state2>on|off)$", re.I)
NOTIFICATIONS = re.compile(r"^(?P<verb>toggle|turn on|turn off) notifications for the (?P<app>.+?) app$", re.I)
APP_SETTINGS = re.compile(r"^check the settings for the (?P<app>.+?) app$", re.I)
INSTALL = re.compile(r"^install the (?P<app>.+?) app$", re.I)
VIDEO = re.compile(r"^play the (?:new|latest) (?P<who>.+?) video(?: on youtube)?$|"
                   r"^play the latest video from (?:the )?(?P<who2>.+?)$|"
                   r"^play (?:some )?(?P<who3>.+?) on youtube$", re.I)
OPEN_APP = re.compile(r"^open (?:the )?(?P<app>.+?)(?: app)?(?: and show me this week's events)?\??$", re.I)
CHECK_MAIL = re.compile(r"^check my (?:email|gmail)(?: inbox)?$", re.I)
ALARM = re.compile(r"^set an alarm (?:for|at) (?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<half>am|pm)?\s*$", re.I)
LOST_SPACE = re.compile(r"\b(search|check|alarm)(for|the)\b", re.I)
# typographic quotes and apostrophes -> ASCII (how a person reads them)
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
                        "`": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"',
                        "\u00bb": '"', "\u2033": '"'})
# what users call the phone's apps -> the app's name (its file under assets/android/apps/)
APP_NAMES = {"settings": "settings", "clock": "clock", "play store": "playstore", "google play store": "playstore",
             "youtube": "youtube", "chrome": "browser", "google chrome": "browser", "maps": "maps",
             "google maps": "maps", "calculator": "calculator", "contacts": "contacts", "gmail": "gmail",
             "calendar": "calendar", "camera": "camera", "files": "files", "downloads": "files",
             "gallery": "gallery", "photos": "gallery", "music": "music", "sms": "messages", "messages": "messages"}
SETTING_NAMES = {"wifi": "wifi", "wi-fi": "wifi", "bluetooth": "bluetooth", "airplane mode": "airplane_mode",
                 "dark mode": "dark_mode", "dark theme": "dark_mode"}
STOPWORDS = frozenset("a an the of in on for to is are what what's whats how who where when which does do can "
                      "me my i you it this that be with about at and or by from tell show find google search "
                      "look up get".split())
GENERAL_HORIZON, WEBSHOP_HORIZON = 10, 20  # DigiRL's horizons for its General and Web Shopping sets


@dataclass(frozen=True)
class Task:
    instruction: str
    family: str
    slots: dict = field(default_factory=dict)

    @property
    def horizon(self) -> int:
        return WEBSHOP_HORIZON if self.family == "webshop" else GENERAL_HORIZON

    def is_success(self, device) -> bool:
        """Whether the device's state completes the task (see the module docstring per family)."""
        try:
            check = SUCCESS_CHECKS[self.family]
        except KeyError:
            raise ValueError(f"unknown task family {self.family!r}; known: {sorted(SUCCESS_CHECKS)}") from None
        return check(self.slots, device, device.current)

    def initial_settings(self, rng) -> dict:
        """Device settings an episode of this task starts from: random, except that the task is never
        done before it starts (a "turn on Wi-Fi" episode starts with Wi-Fi off)."""
        settings = {key: bool(rng.integers(2)) for key in RANDOM_SETTINGS}
        if self.family == "settings":
            settings[self.slots["setting"]] = not self.slots["on"]
        if self.family == "notifications":
            on = self.slots["on"]
            settings[notification_key(self.slots["app"])] = bool(rng.integers(2)) if on is None else not on
        return settings


RANDOM_SETTINGS = ("wifi", "bluetooth", "airplane_mode", "dark_mode")


def notification_key(app_label: str) -> str:
    """The setting of an app's notification switch (Settings > Apps > the app; settings.json)."""
    return f"notifications:{app_label.casefold()}"


# --- the success checks, one per family ------------------------------------------------------------


def _searched(device, input_id: str) -> list[str]:
    return [_normal(text) for submitted_id, text in device.submitted if submitted_id == input_id]


def _has_all(words, text: str) -> bool:
    return all(word in text.split() for word in words)


def _webshop(slots, device, frame) -> bool:
    shop = slots["site"].split(".")[0]
    if slots.get("query") is None:
        return frame.app == "browser" and frame.screen == f"{shop}_home"
    if not slots.get("first"):
        return (frame.app == "browser" and frame.screen == f"{shop}_results"
                and _normal(frame.params.get("query", "")) == _normal(slots["query"]))
    first = _first_result(device, shop)
    return frame.screen == f"{shop}_product" and first is not None and frame.params.get("item") == first


def _web_search(slots, device, frame) -> bool:
    on_results = frame.app == "browser" and frame.screen in ("results", "page")
    return on_results and any(_has_all(slots["words"], query) for query in _searched(device, "search"))


def _maps_search(slots, device, frame) -> bool:
    on_places = frame.app == "maps" and frame.screen in ("results", "place")
    return on_places and any(_has_all(slots["words"], query) for query in _searched(device, "maps_search"))


def _directions(slots, device, frame) -> bool:
    return (frame.app == "maps" and frame.screen in ("directions", "navigation")
            and _has_all(slots["words"], _normal(frame.params.get("item", ""))))


def _open_site(slots, device, frame) -> bool:
    return frame.app == "browser" and frame.screen == f"{slots['site'].split('.')[0]}_home"


def _browser_tab(slots, device, frame) -> bool:
    return frame.app == "browser" and frame.screen == ("incognito_tab" if slots["private"] else "new_tab")


def _settings(slots, device, frame) -> bool:
    return device.setting(slots["setting"]) == slots["on"]


def _notifications(slots, device, frame) -> bool:
    key = notification_key(slots["app"])
    wanted = not device.setting(key, initial=True) if slots["on"] is None else slots["on"]
    return device.setting(key) == wanted


def _alarm(slots, device, frame) -> bool:
    return slots["time"] in {_alarm_time(text) for text in device.records.get("alarms", [])}


def _app_settings(slots, device, frame) -> bool:
    return (frame.app == "settings" and frame.screen == "app_info"
            and _normal(frame.params.get("item", "")) == _normal(slots["app"]))


def _install(slots, device, frame) -> bool:
    return _normal(slots["app"]) in {_normal(item) for item in device.records.get("installed", [])}


def _open_app(slots, device, frame) -> bool:
    return frame.app == slots["app"]


def _video(slots, device, frame) -> bool:
    return (frame.app == "youtube" and frame.screen == "watch"
            and _has_all(slots["words"], _normal(frame.params.get("item", ""))))


SUCCESS_CHECKS = {"webshop": _webshop, "web_search": _web_search, "maps_search": _maps_search,
                  "directions": _directions, "open_site": _open_site, "browser_tab": _browser_tab,
                  "settings": _settings, "notifications": _notifications, "alarm": _alarm,
                  "app_settings": _app_settings, "install": _install, "open_app": _open_app, "video": _video}


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s'-]", " ", text.casefold()).split())


def _content_words(text: str) -> list[str]:
    return [word for word in _normal(text).split() if word not in STOPWORDS]


def _first_result(device, shop) -> str | None:
    """The first entry the shop's results list showed for the searched query (the stack below the product)."""
    for below in reversed(device.stack[:-1]):
        if below.screen == f"{shop}_results":
            items = device.list_items(below)
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


def spoken_time(time: str) -> str:
    """'17:00' -> '5:00 PM': how the clock's alarm form takes a time."""
    hour, minute = (int(part) for part in time.split(":"))
    return f"{(hour + 11) % 12 + 1}:{minute:02d} {'PM' if hour >= 12 else 'AM'}"


def normalise(instruction: str) -> str:
    """An instruction as a person reads it: ASCII quotes, single spaces, no trailing '.', '!' or ';',
    no quotes around the whole line, "p.m." as "pm", lost spaces put back (see the module docstring)."""
    text = unicodedata.normalize("NFKC", str(instruction)).translate(QUOTES)
    text = " ".join(text.split())
    while len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    text = re.sub(r"\b([ap])\.\s?m\.?(?=\s|$|[?!.,;])", r"\1m", text, flags=re.I)
    text = text.rstrip(" .!;")
    return LOST_SPACE.sub(r"\1 \2", text)


def instruction_key(instruction: str) -> str:
    """What two instructions share when a person reads them as the same: no case, no quotes."""
    return " ".join(re.sub(r"['\"]", "", normalise(instruction).casefold()).split()).rstrip("?")


def _unquoted(query: str) -> str:
    query = query.strip()
    if len(query) >= 2 and query[0] == query[-1] and query[0] in "'\"":
        return query[1:-1].strip()
    return query.strip("'\"").strip()


def _webshop(original: str, text: str) -> tuple[Task | None, str | None] | None:
    """A web-shop task, a reason it cannot be one, or None when the line is not a web-shop instruction."""
    match = WEBSHOP_SITE_FIRST.match(text) or WEBSHOP_SITE_LAST.match(text)
    if match is None:
        return None
    site = match["site"].lower()
    rest = match["rest"]
    first = WEBSHOP_FIRST.search(rest)
    if first is not None:
        rest = rest[:first.start()]
    query = match.groupdict().get("query")
    if query is None and rest.strip(" ,;"):
        found = WEBSHOP_QUERY.match(rest)
        if found is None:
            if site.split(".")[0] == "reddit":
                return None  # "Go to Reddit..." is open_site's
            return None, f"web shopping: cannot read {rest.strip(' ,;')!r} after the site (expected ', search for \"x\"')"
        query = found["query"]
    elif rest.strip(" ,;"):
        return None, f"web shopping: cannot read {rest.strip(' ,;')!r} after the site"
    if query is not None:
        query = _unquoted(query)
        if not query:
            return None, "web shopping: the search query is empty"
    shop = site.split(".")[0]
    if shop not in WEB_SHOPS:
        if shop == "reddit" and query is None and first is None:
            return None  # open_site
        return None, f"web shopping: the phone's browser has no shop {site} (it has {', '.join(s + '.com' for s in WEB_SHOPS)})"
    if first is not None and query is None:
        return None, "web shopping: 'select the first entry' needs a search before it"
    return Task(original, "webshop", {"site": site, "query": query, "first": first is not None}), None


def parse(instruction: str) -> Task | None:
    """The task an instruction asks for, or None when no family covers it (parse_instruction says why)."""
    return parse_instruction(instruction)[0]


NO_FAMILY = "no task family reads this instruction (see envsuite/android/tasks.py for the styles each reads)"


def parse_instruction(instruction: str) -> tuple[Task | None, str | None]:
    """(the task an instruction asks for, None), or (None, the reason no task could be made of it)."""
    original = str(instruction).strip()
    text = normalise(original)
    if not text:
        return None, "the line is empty"
    shopping = _webshop(original, text)
    if shopping is not None:
        return shopping
    if (match := OPEN_SITE.match(text)) is not None:
        return Task(original, "open_site", {"site": f"{match['site'].lower()}.com"}), None
    if (match := BROWSER_TAB.match(text)) is not None and "chrome" in text.lower():
        return Task(original, "browser_tab", {"private": bool(match["private"])}), None
    if (match := NOTIFICATIONS.match(text)) is not None:
        verb = match["verb"].lower()
        return Task(original, "notifications", {"app": match["app"], "on": None if verb == "toggle" else verb == "turn on"}), None
    if (match := APP_SETTINGS.match(text)) is not None:
        return Task(original, "app_settings", {"app": match["app"]}), None
    if (match := INSTALL.match(text)) is not None:
        return Task(original, "install", {"app": match["app"]}), None
    if (match := VIDEO.match(text)) is not None:
        words = _content_words(match["who"] or match["who2"] or match["who3"])
        return (Task(original, "video", {"words": words}), None) if words else (None, "video: nothing to look for")
    if CHECK_MAIL.match(text):
        return Task(original, "open_app", {"app": "gmail"}), None
    if (match := OPEN_APP.match(text)) is not None:
        if match["app"].lower() in APP_NAMES:
            return Task(original, "open_app", {"app": APP_NAMES[match["app"].lower()]}), None
        if not match["app"].lower().startswith(("a new", "new")):
            unknown = (None, f"open app: the phone has no app called {match['app']!r} "
                             f"(it has {', '.join(sorted(set(APP_NAMES)))})")
        else:
            unknown = None
    else:
        unknown = None
    if (match := ALARM.match(text)) is not None:
        time = _alarm_time(f"{match['hour']}:{match['minute'] or '00'} {match['half'] or ''}")
        return (Task(original, "alarm", {"time": time}), None) if time else (None, f"alarm: {text!r} is not a time of day")
    if (match := SETTING.match(text)) is not None:
        what = (match["what"] or match["what2"]).lower()
        state = (match["state"] or match["state2"]).lower()
        if what in SETTING_NAMES:
            return Task(original, "settings", {"setting": SETTING_NAMES[what], "on": state == "on"}), None
        return None, f"settings: the phone has no setting {what!r} (it has {', '.join(sorted(SETTING_NAMES))})"
    if (match := MAPS_SEARCH.match(text)) is not None:
        words = _content_words(match["subject"])
        return ((Task(original, "maps_search", {"words": words, "query": match["subject"]}), None) if words
                else (None, "maps search: nothing to search for"))
    if (match := DIRECTIONS.match(text)) is not None:
        words = _content_words(match["place"])
        return ((Task(original, "directions", {"words": words, "query": match["place"]}), None) if words
                else (None, "directions: no place to go to"))
    if unknown is not None:
        return unknown
    if (match := SEARCH.match(text)) is not None or QUESTION.match(text):
        subject = match["subject"] if match is not None else text
        words = _content_words(subject)
        return ((Task(original, "web_search", {"words": words, "query": subject.rstrip("?")}), None) if words
                else (None, "web search: nothing to search for"))
    return None, NO_FAMILY


@dataclass(frozen=True)
class UnparsedLine:
    """A line of an instruction file that no task was made of, and why."""

    number: int  # 1-based line number in the file
    text: str
    reason: str


class UnparsedInstructionsError(ValueError):
    """An instruction file holds lines no task family reads (a dataset or an env would silently lack them)."""

    def __init__(self, path, unparsed: list[UnparsedLine]):
        self.path, self.unparsed = path, unparsed
        shown = "; ".join(f"line {u.number} {u.text!r}: {u.reason}" for u in unparsed[:5])
        more = f"; and {len(unparsed) - 5} more" if len(unparsed) > 5 else ""
        super().__init__(f"{path}: {len(unparsed)} instruction(s) cannot be parsed into tasks: {shown}{more}. Fix "
                         "them, or pass skip_unparsed=True (a recipe's env_kwargs: skip_unparsed = true) to leave "
                         "them out; they are then recorded (envsuite.android.tasks.coverage lists them all)")


def read_task_file(path, skip_unparsed: bool = False) -> tuple[list[Task], list[UnparsedLine]]:
    """(tasks, unparsed lines) of an instruction file, in file order; UnparsedInstructionsError if any
    line does not parse, unless skip_unparsed."""
    return parse_lines(_numbered_lines(path), path, skip_unparsed)


SPLITS = ("train", "test")


def split_lines(train_path, test_path, split: str) -> list[tuple[int, str]]:
    """(line number, text) of a disjoint train/test split of a task set's two files.

    "test": the test file's instructions, each once; "train": the train file's lines without any
    instruction of the test split. Instructions are compared by instruction_key (case and quotes
    ignored). The test split is the test file, not the test file minus the train file, because
    DigiRL's General test file lies wholly inside its train file (all 432 of its lines are train
    lines): removing the overlap from the test side would leave nothing to test on.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS} (or None for the whole train file), got {split!r}")
    test, test_keys = [], set()
    for number, line in _numbered_lines(test_path):
        key = instruction_key(line)
        if key not in test_keys:
            test_keys.add(key)
            test.append((number, line))
    if split == "test":
        return test
    return [(number, line) for number, line in _numbered_lines(train_path) if instruction_key(line) not in test_keys]


def parse_lines(numbered: list[tuple[int, str]], source, skip_unparsed: bool = False
                ) -> tuple[list[Task], list[UnparsedLine]]:
    """read_task_file for lines already read: (tasks, unparsed lines), refusing unparsed ones unless skip_unparsed."""
    tasks, unparsed = [], []
    for number, line in numbered:
        task, reason = parse_instruction(line)
        if task is None:
            unparsed.append(UnparsedLine(number, line, reason))
        else:
            tasks.append(task)
    if unparsed and not skip_unparsed:
        raise UnparsedInstructionsError(source, unparsed)
    return tasks, unparsed


def load_tasks(path, skip_unparsed: bool = False) -> list[Task]:
    """The tasks of an instruction file, in file order; a line no family reads is an
    UnparsedInstructionsError unless skip_unparsed (read_task_file returns those lines too)."""
    return read_task_file(path, skip_unparsed)[0]


def read_instruction_text(path) -> str:
    """The text of an instruction file: UTF-8 (a BOM is dropped), else Windows-1252 (every byte maps)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"instruction file {path} does not exist; give a text file with one instruction per line")
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _numbered_lines(path) -> list[tuple[int, str]]:
    """(1-based line number, stripped text) of every non-blank line (\\n, \\r\\n or \\r endings)."""
    return [(number, line.strip()) for number, line in enumerate(read_instruction_text(path).splitlines(), 1)
            if line.strip()]


def _lines(path) -> list[str]:
    return [line for _, line in _numbered_lines(path)]


def coverage(path) -> dict:
    """Which lines of an instruction file parse into tasks: counts per family, and each uncovered line
    as {"line": its number, "text": ..., "reason": why no task was made of it}."""
    numbered = _numbered_lines(path)
    lines = [line for _, line in numbered]
    families: dict[str, int] = {}
    uncovered = []
    for number, line in numbered:
        task, reason = parse_instruction(line)
        if task is None:
            uncovered.append({"line": number, "text": line, "reason": reason})
        else:
            families[task.family] = families.get(task.family, 0) + 1
    covered = len(lines) - len(uncovered)
    return {"lines": len(lines), "covered": covered, "fraction": covered / len(lines) if lines else 0.0,
            "families": families, "uncovered": uncovered}
