"""`envsuite-datagen render`: every family's episodes become GIF / MP4 files whose frames are what the
env shows (the oracle: the env itself, reset with the episode's seed and rendered) or the stored
screens (Android, StarCraft windows)."""

import dataclasses
import shutil
import subprocess

import numpy as np
import pytest

from datagen.cli import main
from datagen.render import episode_frames, use_cpu_rendering, write_video
from envsuite.data import load_dataset
from interop_datasets import small  # tests/interop/interop_datasets.py



def has_osmesa():
    return b"libOSMesa" in subprocess.run(["ldconfig", "-p"], capture_output=True).stdout


@pytest.mark.skipif(not has_osmesa(), reason="libOSMesa is absent (make install installs libosmesa6)")
def test_a_hopper_episode_is_replayed_and_rendered(tmp_path):
    use_cpu_rendering()
    import gymnasium

    import envsuite  # noqa: F401

    path = small("locomotion/hopper-random-v0", 120, tmp_path)
    with load_dataset(path) as ds:
        frames = episode_frames(ds, 0, max_frames=10, size=96)
        env = gymnasium.make("envsuite/Hopper-v0", render_mode="rgb_array", width=96, height=96)
        env.reset(seed=int(ds.episode_seeds[0]))
        np.testing.assert_array_equal(frames[0], env.render())
        env.close()
    assert 2 <= len(frames) <= 11 and frames[0].shape == (96, 96, 3)
    out = write_video(frames, tmp_path / "hopper.mp4", fps=30)
    assert out.stat().st_size > 0 and not list(tmp_path.glob(".*partial*"))


def test_android_and_starcraft_episodes_become_gifs(tmp_path):
    from PIL import Image

    android = small("android/webshop-mixed-v0", 40, tmp_path, render_width=108, render_height=240)
    with load_dataset(android) as ds:
        frames = episode_frames(ds, 0)
        assert len(frames) == ds.episode_lengths[0] and frames[0].shape == (240, 108, 3)
        assert (frames[0] != ds.episode(0).observations["screen"][0]).any()  # the action is drawn on it
    starcraft = small("starcraft/3m-random-v0", 60, tmp_path)
    assert main(["render", str(starcraft), "--episode", "1", "--out", str(tmp_path / "battle.gif")]) == 0
    with Image.open(tmp_path / "battle.gif") as gif:
        assert gif.n_frames > 1
    assert main(["render", str(starcraft), "--episode", "999", "--out", str(tmp_path / "x.gif")]) == 2
    assert main(["render", str(starcraft), "--out", str(tmp_path / "x.avi")]) == 2
