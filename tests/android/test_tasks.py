"""Instructions -> tasks, and their success checks on the phone's state (a hand-played device is the
oracle: the check turns true exactly when the instruction has been carried out)."""

from pathlib import Path

import pytest

from envsuite.android.apps import load_apps
from envsuite.android.device import Device
from envsuite.android.tasks import coverage, parse

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "android"
TASKS = Path(__file__).resolve().parents[2] / "assets" / "android" / "tasks"


def centre(element):
    y, x, h, w = element.box
    return y + h / 2, x + w / 2


def tap(device, text):
    """Tap the clickable element whose text starts with `text` (an input holding that text comes last)."""
    candidates = [e for e in device.elements() if e.text.startswith(text) and e.clickable]
    assert candidates, f"nothing clickable starts with {text!r}: {[e.text for e in device.elements()]}"
    device.tap(*centre(sorted(candidates, key=lambda e: e.type == "INPUT")[0]))


def browse(device, address):
    device.press_home()
    tap(device, "Chrome")
    device.tap(*centre(next(e for e in device.elements() if e.type == "INPUT")))
    device.type_text(address)
    device.press_enter()


def test_instructions_parse_into_their_families():
    task = parse('Go to costco.com, search for "razer blade", and select the first entry')
    assert (task.family, task.slots, task.horizon) == ("webshop", {"site": "costco.com", "query": "razer blade",
                                                                   "first": True}, 20)
    assert parse("Go to ebay.com").slots == {"site": "ebay.com", "query": None, "first": False}
    assert parse("What's the news in Malaysia?").slots == {"words": ["news", "malaysia"],
                                                           "query": "What's the news in Malaysia"}
    assert parse("Google the capital of Ecuador").slots == {"words": ["capital", "ecuador"],
                                                            "query": "the capital of Ecuador"}
    assert parse("How do I get to the nearest Starbucks?").slots == {"words": ["nearest", "starbucks"],
                                                                     "query": "the nearest Starbucks"}
    assert parse("Search for good pizza restaurants on Maps").family == "maps_search"
    assert parse("Open a new incognito window in Chrome").slots == {"private": True}
    assert parse("Open a new tab in the chrome app").slots == {"private": False}
    assert parse("Open a new tab") is None  # in which app?
    assert parse("Toggle notifications for the Google Maps app").slots == {"app": "Google Maps", "on": None}
    assert parse("Check my gmail inbox").slots == {"app": "gmail"}
    assert parse("Set an alarmfor 5pm").slots == {"time": "17:00"}  # DigiRL's file has the lost space
    assert parse("Searchfor good French restaurants").family == "web_search"
    assert parse("Set an alarm for 5pm").slots == {"time": "17:00"}
    assert parse("Set an alarm for 7:30 am").slots == {"time": "07:30"}
    assert parse("Turn off Bluetooth").slots == {"setting": "bluetooth", "on": False}
    assert parse("Send an email to Bob") is None and parse("Turn on the toaster") is None


def test_the_webshop_check_follows_each_part_of_the_instruction():
    phone = Device(load_apps())
    go, search, first = (parse(text) for text in (
        "Go to costco.com", 'Go to costco.com, search for "razer blade"',
        'Go to costco.com, search for "razer blade", and select the first entry'))
    assert not go.is_success(phone)
    browse(phone, "costco.com")
    assert go.is_success(phone) and not search.is_success(phone)
    tap(phone, "Search Costco")
    phone.type_text("Razer Blade")
    phone.press_enter()
    assert search.is_success(phone) and not first.is_success(phone)
    entries = [e for e in phone.elements() if e.type == "LIST_ITEM"]
    phone.tap(*centre(entries[1]))  # the second entry is not the first
    assert not first.is_success(phone)
    phone.press_back()
    phone.tap(*centre(entries[0]))
    assert first.is_success(phone)
    assert not parse('Go to ebay.com, search for "razer blade", and select the first entry').is_success(phone)


def test_web_search_succeeds_on_results_for_the_subject():
    phone = Device(load_apps())
    task = parse("What's the news in Malaysia?")
    browse(phone, "weather in paris")
    assert not task.is_success(phone)
    browse(phone, "Malaysia news today")
    assert task.is_success(phone)
    phone.press_home()
    assert not task.is_success(phone)  # the answer must be on the screen


def test_settings_and_alarm_checks_read_the_device_state():
    phone = Device(load_apps())
    assert parse("Turn on Wi-Fi").is_success(phone) and not parse("Turn off Wi-Fi").is_success(phone)
    alarm = parse("Set an alarm for 5pm")
    assert not alarm.is_success(phone)
    tap(phone, "Clock")
    tap(phone, "Add alarm")
    tap(phone, "Alarm time")
    phone.type_text("5:00 PM")
    phone.press_enter()
    assert alarm.is_success(phone) and not parse("Set an alarm for 6pm").is_success(phone)


def test_app_settings_install_and_video_checks():
    phone = Device(load_apps())
    settings, install, video = (parse(text) for text in (
        "Check the settings for the Spotify app", "Install the Pandora app", "Play the new Taylor Swift video on YouTube"))
    tap(phone, "Settings")
    tap(phone, "Apps")
    phone.swipe((0.8, 0.5), (0.2, 0.5))  # the list is longer than the screen
    phone.swipe((0.8, 0.5), (0.2, 0.5))
    tap(phone, "Spotify")
    assert settings.is_success(phone) and not parse("Check the settings for the Gmail app").is_success(phone)
    phone.press_home()
    tap(phone, "Play Store")
    phone.tap(*centre(next(e for e in phone.elements() if e.type == "INPUT")))
    phone.type_text("Pandora")
    phone.press_enter()
    tap(phone, "Pandora")
    assert not install.is_success(phone)  # on its page, not installed yet
    tap(phone, "Install")
    assert install.is_success(phone) and phone.records["installed"] == ["Pandora"]
    phone.press_home()
    tap(phone, "YouTube")
    phone.tap(*centre(next(e for e in phone.elements() if e.type == "INPUT")))
    phone.type_text("taylor swift")
    phone.press_enter()
    assert not video.is_success(phone)
    tap(phone, "taylor swift - official video")
    assert video.is_success(phone)
    assert parse("Play the latest video from the Wall Street Journal").slots == {"words": ["wall", "street", "journal"]}


def test_open_app_tasks_know_the_phones_apps():
    phone = Device(load_apps())
    task = parse("Open the Google play store app")
    assert task.slots == {"app": "playstore"} and not task.is_success(phone)
    tap(phone, "Play Store")
    assert task.is_success(phone) and not parse("Open the clock").is_success(phone)
    assert parse("Open the calculator").slots == {"app": "calculator"}
    assert parse("Open the toaster app") is None  # the phone has no such app


def test_every_line_of_the_committed_task_files_becomes_a_task():
    webshop = coverage(TASKS / "digirl_webshop_train.txt")
    assert webshop["lines"] == 438 and webshop["covered"] == 438 and webshop["uncovered"] == []
    general = coverage(TASKS / "digirl_general_train.txt")
    assert general["lines"] == 545 and general["covered"] == 545 and general["uncovered"] == []
    assert general["families"]["web_search"] == 392 and sum(general["families"].values()) == 545


def test_the_committed_task_files_are_digirls_unchanged():
    if not SHARED.is_dir():
        pytest.skip(f"the shared third-party data folder {SHARED} is absent (it is not part of a user's clone)")
    for name in ("digirl_general_train.txt", "digirl_webshop_train.txt"):
        assert (TASKS / name).read_bytes() == (SHARED / name).read_bytes()


def test_notification_and_toggle_tasks_compare_with_the_start_state():
    phone = Device(load_apps())
    toggle, off = parse("Toggle notifications for the Google Maps app"), parse("Turn off notifications for the Google Maps app")
    assert not toggle.is_success(phone) and not off.is_success(phone)  # notifications start on
    tap(phone, "Settings")
    tap(phone, "Apps")
    phone.swipe((0.8, 0.5), (0.4, 0.5))
    tap(phone, "Google Maps")
    tap(phone, "Notifications")
    assert phone.setting("notifications:google maps") is False and phone.setting("notifications:uber") is True
    assert toggle.is_success(phone) and off.is_success(phone)
    tap(phone, "Notifications")
    assert not toggle.is_success(phone)


def test_tasks_never_start_done():
    import numpy as np

    from envsuite.android.tasks import load_tasks

    rng = np.random.default_rng(0)
    phone = Device(load_apps())
    for name in ("digirl_general_train.txt", "digirl_webshop_train.txt"):
        for task in load_tasks(TASKS / name):
            phone.reset(settings=task.initial_settings(rng))
            assert not task.is_success(phone), task.instruction
