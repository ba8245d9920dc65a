"""The README's picture of the MoCap library: four real CMU clips of different categories, three poses each.

    python docs/make_library_picture.py        (writes docs/images/mocap_library.png)

Where it sits: documentation. Each pose is the tracking env's own reset at that clip step (the walker is
set to the reference pose there, envsuite/mocap/tracking.py), rendered offscreen on the CPU.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from datagen.render import use_cpu_rendering  # noqa: E402

use_cpu_rendering()

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from envsuite.mocap import library  # noqa: E402
from envsuite.mocap.tracking import CMUHumanoidTrackingEnv  # noqa: E402

CLIPS = ("CMU_049_08", "CMU_005_02", "CMU_001_03", "CMU_135_04")  # acrobatics, dance, climb, martial arts: a row each
WHERE = (0.2, 0.5, 0.8)  # which clip steps, as fractions of the clip
SIZE = 200

records = {r.id: r for r in library.library()}
rows = []
for clip in CLIPS:
    record = records[clip]
    env = CMUHumanoidTrackingEnv(clips=[clip], render_mode="rgb_array", render_width=SIZE, render_height=SIZE)
    tiles = []
    for where in WHERE:
        step = int(where * (record.num_steps - 10))
        snippet = next(s for s in env.references if s.snippet.start_step <= step < s.snippet.end_step - 6)
        env.reset(seed=0, options={"snippet": snippet.snippet.id, "start_step": step})
        tiles.append(env.render())
    env.close()
    row = Image.fromarray(np.concatenate(tiles, axis=1))
    ImageDraw.Draw(row).text((6, 4), f"{clip} ({record.category}): {record.description[:40]}", fill=(255, 255, 255))
    rows.append(np.asarray(row))
out = REPO / "docs" / "images" / "mocap_library.png"
Image.fromarray(np.concatenate(rows, axis=0)).save(out, optimize=True)
print(out)
