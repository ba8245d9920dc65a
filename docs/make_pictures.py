"""The README's family pictures, from the `make demo` datasets (out/demo): one frame per family.

    make demo && python docs/make_pictures.py        (writes docs/images/<family>.png)

Where it sits: documentation; it uses datagen.render, the same code as `envsuite-datagen render`.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from datagen.render import episode_frames, use_cpu_rendering  # noqa: E402

use_cpu_rendering()

from PIL import Image  # noqa: E402

from envsuite.data import load_dataset  # noqa: E402

PICTURES = {  # family -> (demo dataset, episode, which of its frames)
    "locomotion": ("locomotion/hopper-expert-v0", 0, 0.0),  # the camera does not follow it far
    "mocap": ("mocap/02_01-expert-v0", 0, 0.6),
    "starcraft": ("starcraft/3m-focus-fire-v0", 0, 0.5),
    "android": ("android/general-expert-v0", 1, 0.5),
}

for family, (dataset_id, episode, where) in PICTURES.items():
    family_dir, name = dataset_id.split("/")
    with load_dataset(REPO / "out" / "demo" / family_dir / f"{name}.h5") as ds:
        frames = episode_frames(ds, episode, max_frames=40, size=320)
    frame = frames[int(where * (len(frames) - 1))]
    if family == "starcraft":  # the battle is small on its map: crop to the units, then enlarge
        import numpy as np

        busy = np.argwhere((frame.astype(int) - frame[0, 0]).any(axis=2))
        (top, left), (bottom, right) = busy.min(axis=0) - 12, busy.max(axis=0) + 12
        frame = frame[max(top, 0):bottom, max(left, 0):right]
        frame = np.kron(frame, np.ones((4, 4, 1), np.uint8))
    image = Image.fromarray(frame)
    image.thumbnail((320, 420))
    out = REPO / "docs" / "images" / f"{family}.png"
    image.save(out, optimize=True)
    print(out, image.size)
