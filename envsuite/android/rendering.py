"""Pillow rendering of a Device's screen: what an agent sees (the Android family, envsuite/android/).

Dark mode (the `dark_mode` setting) inverts the palette; every element is drawn as its box, its
type's look (buttons filled, inputs outlined, toggles with a switch, icons as rounded tiles) and its
text; the keyboard and the navigation bar are drawn when shown.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from envsuite.android import device as dev

LIGHT = {"background": (250, 250, 250), "text": (20, 20, 20), "button": (220, 230, 250), "bar": (230, 230, 230),
         "accent": (26, 115, 232), "icon": (90, 140, 230)}
DARK = {"background": (24, 24, 24), "text": (235, 235, 235), "button": (50, 60, 85), "bar": (40, 40, 40),
        "accent": (138, 180, 248), "icon": (70, 110, 200)}


@lru_cache(maxsize=8)
def _font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)  # Pillow's bundled scalable font: no system fonts needed


def render_device(device, width: int, height: int) -> np.ndarray:
    from PIL import Image, ImageDraw

    palette = DARK if device.settings.get("dark_mode") else LIGHT
    image = Image.new("RGB", (width, height), palette["background"])
    draw = ImageDraw.Draw(image)
    font = _font(max(10, int(height * 0.022)))

    def rect(box):
        y, x, h, w = box
        return [x * width, y * height, (x + w) * width, (y + h) * height]

    draw.rectangle(rect((0.0, 0.0, dev.STATUS_BAR, 1.0)), fill=palette["bar"])
    for element in device.elements():
        box = rect(element.box)
        if element.type == "BUTTON" or element.type == "LIST_ITEM":
            draw.rounded_rectangle(box, radius=height * 0.01, fill=palette["button"])
        elif element.type == "INPUT":
            draw.rounded_rectangle(box, radius=height * 0.01, outline=palette["accent"], width=3)
        elif element.type == "TOGGLE":
            on = element.text.endswith("On")
            knob = [box[2] - height * 0.06, box[1] + 4, box[2] - 4, box[3] - 4]
            draw.rounded_rectangle(knob, radius=height * 0.02, fill=palette["accent"] if on else palette["bar"])
        elif element.type == "ICON":
            draw.rounded_rectangle(box, radius=height * 0.015, fill=palette["icon"])
        draw.text((box[0] + width * 0.02, (box[1] + box[3]) / 2), element.text, fill=palette["text"], font=font,
                  anchor="lm")
    if device.keyboard_shown:
        top = 1.0 - dev.NAV_BAR - dev.KEYBOARD
        draw.rectangle(rect((top, 0.0, dev.KEYBOARD, 1.0)), fill=palette["bar"])
        for r, keys in enumerate(("qwertyuiop", "asdfghjkl", "zxcvbnm")):
            for k, key in enumerate(keys):
                cell = (top + 0.02 + r * 0.08, 0.02 + k * 0.096 + r * 0.04, 0.07, 0.085)
                draw.rounded_rectangle(rect(cell), radius=6, fill=palette["background"])
                c = rect(cell)
                draw.text(((c[0] + c[2]) / 2, (c[1] + c[3]) / 2), key, fill=palette["text"], font=font, anchor="mm")
    draw.rectangle(rect((1.0 - dev.NAV_BAR, 0.0, dev.NAV_BAR, 1.0)), fill=palette["bar"])
    for label, x in (("<", 0.25), ("O", 0.5), ("[]", 0.75)):
        draw.text((x * width, (1.0 - dev.NAV_BAR / 2) * height), label, fill=palette["text"], font=font, anchor="mm")
    return np.asarray(image, dtype=np.uint8)
