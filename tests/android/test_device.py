"""The emulator-free phone: what taps, swipes, typing and the system keys do to its screens, its UI
annotations in AitW's (y, x, h, w) convention, and its Pillow rendering."""

import json

import numpy as np
import pytest

from envsuite.android import apps as apps_module
from envsuite.android.apps import load_apps
from envsuite.android.device import Device
from envsuite.android.rendering import render_device


def centre(element):
    y, x, h, w = element.box
    return y + h / 2, x + w / 2


def find(device, text):
    matches = [e for e in device.elements() if e.text.startswith(text)]
    assert matches, f"no element {text!r} on {device.current}: {[e.text for e in device.elements()]}"
    return matches[0]


@pytest.fixture
def phone():
    return Device(load_apps())


def test_the_launcher_opens_apps_by_their_icons(phone):
    icons = [e for e in phone.elements() if e.type == "ICON"]
    assert {e.text for e in icons} == {app["label"] for app in load_apps().values()}  # one icon per app file
    assert {"Chrome", "Clock", "Play Store", "Settings", "YouTube", "Maps", "Calculator", "Contacts"} <= {e.text for e in icons}
    assert all(e.clickable for e in icons)
    phone.tap(*centre(find(phone, "Settings")))
    assert (phone.current.app, phone.current.screen) == ("settings", "main")
    assert find(phone, "Settings").type == "TEXT"  # the title bar


def test_toggles_flip_the_device_settings_and_show_it(phone):
    phone.tap(*centre(find(phone, "Settings")))
    phone.tap(*centre(find(phone, "Network")))
    assert find(phone, "Wi-Fi").text == "Wi-Fi: On" and phone.settings["wifi"] is True
    phone.tap(*centre(find(phone, "Wi-Fi")))
    assert phone.settings["wifi"] is False and find(phone, "Wi-Fi").text == "Wi-Fi: Off"
    light = render_device(phone, 108, 240)
    phone.press_back()
    phone.tap(*centre(find(phone, "Display")))
    phone.tap(*centre(find(phone, "Dark theme")))
    assert phone.settings["dark_mode"] and render_device(phone, 108, 240).mean() < light.mean() / 2


def test_typing_needs_a_focused_input_and_enter_submits_it(phone):
    assert not phone.type_text("hello") and not phone.press_enter()
    phone.tap(*centre(find(phone, "Chrome")))
    phone.tap(*centre(find(phone, "Search or type URL")))
    assert phone.keyboard_shown and phone.type_text("news ") and phone.type_text("Malaysia")
    assert find(phone, "news Malaysia").type == "INPUT"
    assert phone.press_enter() and not phone.keyboard_shown
    assert phone.current.screen == "results" and phone.current.params == {"query": "news Malaysia"}
    assert [e.text for e in phone.elements() if e.type == "LIST_ITEM"] == ["News in Malaysia today"]
    phone.tap(*centre(find(phone, "News in Malaysia")))
    assert phone.current.screen == "page" and phone.current.params == {"item": "News in Malaysia today"}
    assert phone.submitted == [("search", "news Malaysia")]


def test_back_hides_the_keyboard_first_then_pops_and_home_returns_to_the_launcher(phone):
    phone.tap(*centre(find(phone, "Chrome")))
    phone.tap(*centre(find(phone, "Search")))
    phone.press_back()
    assert not phone.keyboard_shown and phone.current.app == "browser"
    phone.press_back()
    assert phone.current.app == "launcher"
    phone.press_back()  # nothing below the launcher
    assert phone.current.app == "launcher" and len(phone.stack) == 1
    phone.tap(*centre(find(phone, "Settings")))
    phone.tap(*centre(find(phone, "Display")))
    phone.press_home()
    assert phone.current.app == "launcher" and len(phone.stack) == 1


def test_a_vertical_swipe_scrolls_a_long_list(phone):
    phone.tap(*centre(find(phone, "Chrome")))
    phone.tap(*centre(find(phone, "Search")))
    phone.press_enter()  # an empty query lists the whole corpus: 13 rows, more than the screen holds
    before = [e.text for e in phone.elements() if e.type == "LIST_ITEM"]
    phone.swipe((0.5, 0.5), (0.5, 0.9))  # horizontal: nothing
    phone.swipe((0.8, 0.5), (0.8, 0.5))
    assert [e.text for e in phone.elements() if e.type == "LIST_ITEM"] == before
    phone.swipe((0.8, 0.5), (0.4, 0.5))  # swipe up: the list moves up, the last entries come in
    after = [e.text for e in phone.elements() if e.type == "LIST_ITEM"]
    assert after != before and after[-1] == "Latest news headlines" and before[0] not in after


def test_annotations_are_the_elements_in_aitws_yxhw_convention(phone):
    phone.tap(*centre(find(phone, "Settings")))
    positions, texts, types = phone.annotations()
    elements = phone.elements()
    assert positions.shape == (len(elements), 4) and positions.dtype == np.float32
    assert (positions >= 0).all() and (positions[:, 0] + positions[:, 2] <= 1).all()
    assert texts == [e.text for e in elements] and types == [e.type for e in elements]
    for (y, x, h, w), element in zip(positions, elements):  # a tap at a box's centre hits its element
        if element.clickable:
            probe = Device(load_apps())
            probe.stack = [type(f)(f.app, f.screen, dict(f.params), f.scroll) for f in phone.stack]
            assert probe.tap(y + h / 2, x + w / 2).id == element.id


def test_rendering_gives_an_rgb_screen_of_the_asked_size(phone):
    image = render_device(phone, 540, 1200)
    assert image.shape == (1200, 540, 3) and image.dtype == np.uint8 and image.std() > 0


def test_broken_app_files_get_errors_naming_the_file(tmp_path, monkeypatch):
    (tmp_path / "android" / "apps").mkdir(parents=True)
    bad = {"label": "Bad", "screens": {"main": {"elements": [{"type": "BUTTON", "text": "x", "open": "nowhere"}]}}}
    (tmp_path / "android" / "apps" / "bad.json").write_text(json.dumps(bad))
    monkeypatch.setattr(apps_module.paths, "asset_path", lambda *parts: tmp_path.joinpath(*parts))
    apps_module.load_apps.cache_clear()
    try:
        with pytest.raises(ValueError, match="bad.json: screen 'main' .* opens unknown screen 'nowhere'"):
            load_apps()
    finally:
        apps_module.load_apps.cache_clear()


def test_a_clock_alarm_is_a_record_the_device_keeps_and_lists(phone):
    phone.tap(*centre(find(phone, "Clock")))
    phone.tap(*centre(find(phone, "Add alarm")))
    phone.tap(*centre(find(phone, "Alarm time")))
    phone.type_text("5:00 PM")
    phone.press_enter()
    assert phone.records["alarms"] == ["5:00 PM"]
    assert (phone.current.app, phone.current.screen) == ("clock", "main")
    assert [e.text for e in phone.elements() if e.type == "TEXT"][-1] == "5:00 PM"  # listed under Alarms
    phone.tap(*centre(find(phone, "Add alarm")))
    assert find(phone, "Alarm time").text.startswith("Alarm time")  # the form cleared once saved
    phone.press_enter()  # nothing focused: nothing saved
    assert phone.records["alarms"] == ["5:00 PM"]


def test_a_query_the_corpus_lacks_still_finds_the_same_pages_every_time(phone):
    def search(text):
        phone.press_home()
        phone.tap(*centre(find(phone, "Chrome")))
        phone.tap(*centre([e for e in phone.elements() if e.type == "INPUT"][0]))
        phone.type_text(text)  # the address bar selects its old text on the tap: this replaces it
        phone.press_enter()
        return [e.text for e in phone.elements() if e.type == "LIST_ITEM"]

    found = search("How big is the universe?")
    assert found == ["How big is the universe? - Wikipedia", "How big is the universe? - latest news",
                     "How big is the universe? - answers and guides"]
    assert search("How big is the universe?") == found
    assert search("costco") == ["Costco warehouse hours"]  # a corpus entry wins over synthesized pages


def test_the_webshop_flow_go_to_a_site_search_and_select_the_first_entry(phone):
    # "Go to costco.com, search for 'razer blade', and select the first entry"
    phone.tap(*centre(find(phone, "Chrome")))
    phone.tap(*centre(find(phone, "Search or type URL")))
    phone.type_text("costco.com")
    phone.press_enter()
    assert phone.current.screen == "costco_home" and find(phone, "costco.com").type == "TEXT"
    phone.tap(*centre(find(phone, "Search Costco")))
    phone.type_text("razer blade")
    phone.press_enter()
    assert phone.current.screen == "costco_results" and phone.current.params == {"query": "razer blade"}
    entries = [e for e in phone.elements() if e.type == "LIST_ITEM"]
    assert [e.text for e in entries][:2] == ["razer blade - best seller", "razer blade - new"]
    phone.tap(*centre(entries[0]))
    assert phone.current.screen == "costco_product" and phone.current.params == {"item": "razer blade - best seller"}
    assert [f.screen for f in phone.stack] == ["home", "main", "costco_home", "costco_results", "costco_product"]


def test_cached_text_tiles_are_what_pillow_draws():
    """The renderer pastes each text from a cache: the tile must equal ImageDraw.text on that fill."""
    from PIL import Image, ImageDraw

    from envsuite.android import rendering

    for text, fill in (("Search or type URL", (250, 250, 250)), ("Network & internet", (220, 230, 250)),
                       ("Wi-Fi: On", (24, 24, 24))):
        size = rendering._font_size(1200)
        tile, mask, left, top = rendering._text_tile(text, size, (20, 20, 20), fill)
        image = Image.new("RGB", (tile.shape[1], tile.shape[0]), fill)
        ImageDraw.Draw(image).text((-left, -top), text, fill=(20, 20, 20), font=rendering._font(size), anchor="lm")
        drawn = np.asarray(image).astype(int)
        assert np.abs(drawn - tile).max() <= 1
        assert (drawn[~mask] == fill).all() and mask.any()


def test_cached_screens_are_copies_and_follow_the_state(phone):
    first = render_device(phone, 108, 240)
    first[:] = 0  # the caller owns what it gets: the cache keeps its own copy
    again = render_device(phone, 108, 240)
    assert again.any() and not np.shares_memory(first, again)
    phone.clock = "23:59"
    assert (render_device(phone, 108, 240) != again).any()  # the clock is drawn on every render
    phone.tap(*centre(find(phone, "Settings")))
    assert (render_device(phone, 108, 240) != again).any()
