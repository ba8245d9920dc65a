"""Apps as data: assets/android/apps/<name>.json (the Android family, envsuite/android/).

An app: `label` (the launcher's name), `start` (its first screen), optional `settings` (initial
device settings it owns, e.g. wifi), `screens` (name -> {title, elements, optional `results`: the
corpus a screen lists filtered by its query}) and optional `corpus` (name -> entries with `text`
and the screen they `open`). Element fields are those of device.py (type, text, open, toggle, id,
hint, submit, record); a screen's `records` lists one of the device's record lists.
"""

from __future__ import annotations

import json
from functools import lru_cache

from envsuite import paths
from envsuite.android.device import ELEMENT_TYPES


@lru_cache(maxsize=1)
def load_apps() -> dict:
    """Every committed app by name, checked (a broken app file fails here, naming the file and the part)."""
    folder = paths.asset_path("android", "apps")
    apps = {}
    for path in sorted(folder.glob("*.json")):
        where = f"assets/android/apps/{path.name}"
        try:
            app = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{where} is not valid JSON ({error})") from None
        _check_app(where, app)
        apps[path.stem] = app
    return apps


def _check_app(where: str, app: dict) -> None:
    screens = app.get("screens")
    if not isinstance(screens, dict) or not screens:
        raise ValueError(f"{where}: an app needs a 'screens' table")
    if app.get("start", "main") not in screens:
        raise ValueError(f"{where}: its start screen {app.get('start', 'main')!r} is not one of its screens")
    for name, screen in screens.items():
        for element in screen.get("elements", []):
            kind = element.get("type", "BUTTON")
            if kind not in ELEMENT_TYPES:
                raise ValueError(f"{where}: screen {name!r} has an element of unknown type {kind!r}")
            for key in ("open", "submit"):
                if element.get(key) and element[key] not in screens:
                    raise ValueError(f"{where}: screen {name!r} element {element} {key}s unknown screen {element[key]!r}")
        if screen.get("records") is not None and not isinstance(screen["records"], str):
            raise ValueError(f"{where}: screen {name!r} records must name a record list")
        if screen.get("synthesize") and screen["synthesize"] not in screens:
            raise ValueError(f"{where}: screen {name!r} synthesizes pages of unknown screen {screen['synthesize']!r}")
        if screen.get("results") and screen["results"] not in app.get("corpus", {}):
            raise ValueError(f"{where}: screen {name!r} lists corpus {screen['results']!r}, which the app lacks")
