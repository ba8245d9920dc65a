"""Pillow rendering of a Device's screen: what an agent sees (the Android family, envsuite/android/).

Dark mode (the `dark_mode` setting) inverts the palette; every element is drawn as its box, its
type's look (buttons and list entries filled, inputs outlined, toggles with a switch, icons as
rounded tiles) and its text; the keyboard and the navigation bar are drawn when shown.

Why it composes numpy tiles: drawing text and rounded shapes with ImageDraw costs about 30
microseconds each and turning a Pillow image into an array about a millisecond, against a budget
of 2 ms per env step. So every piece that repeats is drawn once with Pillow, kept as an array and
copied into the screen array afterwards: the status and navigation bars per (size, palette), the
keyboard per (size, palette), each element shape per (type, pixel size, palette, switch state),
each text's glyph coverage per (text, font size), coloured through a blend table per (colour, fill). Shapes are opaque tiles (their corners in the
background colour the screen has there) and text tiles keep only the pixels the glyphs touch,
blended against the fill they sit on, so a screen is what drawing it directly gives (to within
one level of rounding where glyph edges are anti-aliased).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from envsuite.android import device as dev

LIGHT = {"background": (250, 250, 250), "text": (20, 20, 20), "button": (220, 230, 250), "bar": (230, 230, 230),
         "accent": (26, 115, 232), "icon": (90, 140, 230)}
DARK = {"background": (24, 24, 24), "text": (235, 235, 235), "button": (50, 60, 85), "bar": (40, 40, 40),
        "accent": (138, 180, 248), "icon": (70, 110, 200)}
KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


@lru_cache(maxsize=8)
def _font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)  # Pillow's bundled scalable font: no system fonts needed


def _font_size(height: int) -> int:
    return max(10, int(height * 0.022))


def _pixels(box, width: int, height: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) pixels of a (y, x, h, w) box in screen fractions."""
    y, x, h, w = box
    return round(x * width), round(y * height), round((x + w) * width), round((y + h) * height)


def _fill_under_text(kind: str, palette: dict) -> tuple[int, int, int]:
    return palette["button"] if kind in ("BUTTON", "LIST_ITEM") else palette["icon"] if kind == "ICON" \
        else palette["background"]


@lru_cache(maxsize=8192)  # about 6 kB each at 1200 pixels high: 50 MB at most
def _text_coverage(text: str, size: int):
    """The glyphs of `text` as coverage (uint8, 0..255) and their left and top offsets from the
    left-middle anchor. Kept without colours, so one entry serves both palettes."""
    from PIL import Image

    # getmask2 lays the text out and renders its coverage once (ImageDraw.text would do both after a
    # getbbox: twice the work); Image()._new wraps the returned core as Pillow itself does
    core, (left, top) = _font(size).getmask2(text, anchor="lm")
    coverage = np.asarray(Image.Image()._new(core))
    coverage.flags.writeable = False
    return coverage, left, top


@lru_cache(maxsize=2048)  # the texts of the recent screens, coloured (about 25 kB each: 50 MB at most)
def _text_tile(text: str, size: int, colour: tuple, fill: tuple):
    """The glyphs of `text` drawn in `colour` over `fill`: (RGB array, mask of the touched pixels,
    left and top offsets from the left-middle anchor)."""
    coverage, left, top = _text_coverage(text, size)
    return _blend_table(colour, fill)[coverage], coverage > 0, left, top


@lru_cache(maxsize=64)
def _blend_table(colour: tuple, fill: tuple) -> np.ndarray:
    """(256, 3) uint8: `colour` over `fill` at each coverage 0..255, as Pillow blends a colour
    through a mask (rounded to nearest)."""
    alpha = np.arange(256, dtype=np.uint32)[:, None]
    table = (np.asarray(fill, np.uint32) * (255 - alpha) + np.asarray(colour, np.uint32) * alpha + 127) // 255
    return table.astype(np.uint8)


@lru_cache(maxsize=512)
def _shape(kind: str, size: tuple[int, int], dark: bool, on: bool, screen_height: int):
    """An element's shape as an opaque RGB array of its box's pixel size; None for plain text."""
    from PIL import Image, ImageDraw

    palette = DARK if dark else LIGHT
    w, h = size
    image = Image.new("RGB", (w, h), palette["background"])
    draw = ImageDraw.Draw(image)
    box = [0, 0, w - 1, h - 1]
    radius = screen_height * 0.01
    if kind in ("BUTTON", "LIST_ITEM"):
        draw.rounded_rectangle(box, radius=radius, fill=palette["button"])
    elif kind == "INPUT":
        draw.rounded_rectangle(box, radius=radius, outline=palette["accent"], width=3)
    elif kind == "TOGGLE":
        # 4-pixel margins, shrunk on tiny screens (a 64-pixel-high one) so the knob never turns inside out
        top, right = min(4, (h - 1) // 2), max(0, w - 5)
        knob = [min(max(0, w - 1 - screen_height * 0.06), right), top, right, max(top, h - 5)]
        draw.rounded_rectangle(knob, radius=screen_height * 0.02, fill=palette["accent"] if on else palette["bar"])
    elif kind == "ICON":
        draw.rounded_rectangle(box, radius=screen_height * 0.015, fill=palette["icon"])
    else:
        return None
    return np.asarray(image)


@lru_cache(maxsize=8)
def _frame(width: int, height: int, dark: bool) -> np.ndarray:
    """The empty screen: background, status bar and navigation bar with its back / home / recents."""
    from PIL import Image, ImageDraw

    palette = DARK if dark else LIGHT
    image = Image.new("RGB", (width, height), palette["background"])
    draw = ImageDraw.Draw(image)
    font = _font(_font_size(height))
    draw.rectangle(_pixels((0.0, 0.0, dev.STATUS_BAR, 1.0), width, height), fill=palette["bar"])
    draw.rectangle(_pixels((1.0 - dev.NAV_BAR, 0.0, dev.NAV_BAR, 1.0), width, height), fill=palette["bar"])
    for label, x in (("<", 0.25), ("O", 0.5), ("[]", 0.75)):
        draw.text((x * width, (1.0 - dev.NAV_BAR / 2) * height), label, fill=palette["text"], font=font, anchor="mm")
    frame = np.asarray(image).copy()
    frame.flags.writeable = False
    return frame


@lru_cache(maxsize=8)
def _keyboard(width: int, height: int, dark: bool):
    """The on-screen keyboard (a letter grid) as an array of its area, and that area's top pixel."""
    from PIL import Image, ImageDraw

    palette = DARK if dark else LIGHT
    top = 1.0 - dev.NAV_BAR - dev.KEYBOARD
    left_px, top_px, right_px, bottom_px = _pixels((top, 0.0, dev.KEYBOARD, 1.0), width, height)
    image = Image.new("RGB", (right_px - left_px, bottom_px - top_px), palette["bar"])
    draw = ImageDraw.Draw(image)
    font = _font(_font_size(height))
    for r, keys in enumerate(KEY_ROWS):
        for k, key in enumerate(keys):
            cell = _pixels((top + 0.02 + r * 0.08, 0.02 + k * 0.096 + r * 0.04, 0.07, 0.085), width, height)
            cell = (cell[0], cell[1] - top_px, cell[2], cell[3] - top_px)
            draw.rounded_rectangle(cell, radius=6, fill=palette["background"])
            draw.text(((cell[0] + cell[2]) / 2, (cell[1] + cell[3]) / 2), key, fill=palette["text"], font=font,
                      anchor="mm")
    return np.asarray(image), top_px


def _put(screen: np.ndarray, tile: np.ndarray, left: int, top: int, mask: np.ndarray | None = None) -> None:
    """Copy `tile` (where `mask`) into the screen at (left, top), cut at the screen's edges."""
    height, width = screen.shape[:2]
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + tile.shape[0], height), min(left + tile.shape[1], width)
    if y1 <= y0 or x1 <= x0:
        return
    part = tile[y0 - top:y1 - top, x0 - left:x1 - left]
    if mask is None:
        screen[y0:y1, x0:x1] = part
    else:
        np.copyto(screen[y0:y1, x0:x1], part, where=mask[y0 - top:y1 - top, x0 - left:x1 - left, None])


def render_device(device, width: int, height: int, elements=None) -> np.ndarray:
    """The device's screen now as (height, width, 3) uint8 RGB (`elements`: device.elements(), if known)."""
    elements = device.elements() if elements is None else elements
    dark = bool(device.settings.get("dark_mode"))
    # everything but the status bar's clock (element 0) is looked up whole: launchers, menus and
    # empty forms recur across episodes while the clock differs per episode
    layout = tuple((e.type, e.text, e.box) for e in elements[1:])
    screen = _screen_without_clock(width, height, dark, device.keyboard_shown, layout).copy()
    _draw_element(screen, elements[0], width, height, dark)
    return screen


@lru_cache(maxsize=32)  # 32 screens of 540 x 1200: 62 MB at most
def _screen_without_clock(width: int, height: int, dark: bool, keyboard: bool, layout: tuple) -> np.ndarray:
    screen = _frame(width, height, dark).copy()
    for kind, text, box in layout:
        _draw_element(screen, dev.Element(kind, text, box, False), width, height, dark)
    if keyboard:
        tile, top_px = _keyboard(width, height, dark)
        _put(screen, tile, 0, top_px)
    screen.flags.writeable = False
    return screen


def _draw_element(screen: np.ndarray, element, width: int, height: int, dark: bool) -> None:
    palette = DARK if dark else LIGHT
    left, top, right, bottom = _pixels(element.box, width, height)
    on = element.type == "TOGGLE" and element.text.endswith("On")
    shape = _shape(element.type, (max(1, right - left), max(1, bottom - top)), dark, on, height)
    if shape is not None:
        _put(screen, shape, left, top)
    if element.text:
        tile, mask, dx, dy = _text_tile(element.text, _font_size(height), palette["text"],
                                        _fill_under_text(element.type, palette))
        _put(screen, tile, round(left + width * 0.02 + dx), round((top + bottom) / 2 + dy), mask)
