"""`envsuite-datagen render ID --episode i --out file.gif|mp4`: watch an episode of any family.

Where it sits: datagen (it reads a dataset and may replay it in its env; datagen -> envsuite).
- Android: the stored screens themselves, with each step's action drawn on them (a ring for a tap, an
  arrow for a swipe, the text of a TYPE, the name of a key);
- StarCraft image windows: the stored RGB windows, enlarged;
- every other dataset (MuJoCo locomotion, MoCap, StarCraft micro battles): the episode replayed in its
  env from its seed (and, for MoCap, its recorded snippet and start) with the stored actions, each
  frame rendered by the env. The replay is checked against the stored rewards, so a video never
  shows something other than the data. MuJoCo renders offscreen on the CPU through OSMesa
  (MUJOCO_GL=osmesa; `make install` installs libosmesa6 when it is missing).
GIFs are written with Pillow, MP4s with imageio's ffmpeg.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

FRAME_RATES = {"locomotion": 30, "mocap": 33, "starcraft": 4, "android": 1}


def use_cpu_rendering() -> None:
    """Offscreen MuJoCo on the CPU (OSMesa), unless the user chose a GL backend; before mujoco is imported."""
    os.environ.setdefault("MUJOCO_GL", "osmesa")
    if os.environ["MUJOCO_GL"] == "osmesa":
        os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")


def episode_frames(ds, index: int, *, max_frames: int = 300, size: int = 320) -> list[np.ndarray]:
    """RGB frames of episode `index` of an open dataset (at most max_frames, evenly spread)."""
    if not 0 <= index < ds.total_episodes:
        raise ValueError(f"--episode {index} is outside the {ds.total_episodes} episodes of {ds.dataset_id}")
    episode = ds.episode(index)
    observations = episode.observations
    if ds.family == "android":
        frames = [draw_action(observations["screen"][t], {key: value[t] for key, value in episode.actions.items()})
                  for t in _spread(len(episode), max_frames)]
    elif isinstance(observations, dict) and "rgb" in observations:  # StarCraftImage windows
        scale = max(1, size // observations["rgb"].shape[1])
        frames = [np.kron(observations["rgb"][t], np.ones((scale, scale, 1), np.uint8))
                  for t in _spread(len(episode), max_frames)]
    else:
        frames = _replay(ds, index, episode, max_frames, size)
    return frames


def _spread(length: int, count: int) -> list[int]:
    return sorted(set(np.linspace(0, length - 1, min(length, count)).round().astype(int).tolist()))


def replay_env_kwargs(ds) -> dict:
    """The env kwargs to replay a dataset with: those of envsuite's own recipe of its id, never the file's.

    A file's attributes never choose code or paths (an env kwarg can name a file): a file whose
    recorded kwargs differ from the packaged recipe's is refused rather than followed.
    """
    from datagen.recipes import RecipeError, load_recipe

    recorded = dict((ds.recipe or {}).get("env_kwargs") or {})
    try:
        packaged = dict(load_recipe(ds.dataset_id).env_kwargs or {})
    except RecipeError:
        packaged = None
    if packaged is None:
        if recorded:
            raise ValueError(f"{ds.dataset_id} records env kwargs {sorted(recorded)} but envsuite has no recipe of "
                             "that id to check them against; render replays only with a packaged recipe's kwargs")
        return {}
    if recorded != packaged:
        raise ValueError(f"{ds.dataset_id} records env kwargs {recorded} that differ from envsuite's recipe "
                         f"({packaged}); regenerate it with this envsuite to render it")
    return packaged


def _replay(ds, index, episode, max_frames, size) -> list[np.ndarray]:
    use_cpu_rendering()
    from envsuite.registry import make_registered_env

    recipe = ds.recipe or {}
    base_env_id = (ds.env_spec or {}).get("base_env_id") or ds.env_id
    kwargs = replay_env_kwargs(ds)
    kwargs.pop("dataset_id", None)
    if ds.family == "mocap":
        kwargs.update(render_width=size, render_height=size)
    elif ds.family == "locomotion":
        kwargs.update(width=size, height=size)
    # built from the registry by id only: an env_spec naming 'module:Entry' is refused, never imported
    env = make_registered_env(base_env_id, envsuite_only=True, render_mode="rgb_array", **kwargs)
    options = None
    if ds.family == "mocap":
        from datagen.mocap import episode_options

        options = episode_options(env.unwrapped, int(recipe["seed"]), index)
    keep = set(_spread(len(episode), max_frames))
    try:
        env.reset(seed=int(episode.seed), options=options)
        frames = [env.render()] if 0 in keep else []
        for t in range(len(episode)):
            action = _action_at(episode.actions, t)
            _, reward, terminated, truncated, _ = env.step(action)
            if np.float32(reward) != np.float32(episode.rewards[t]):
                raise RuntimeError(f"the replay of episode {index} of {ds.dataset_id} diverged at step {t} (reward "
                                   f"{reward} vs stored {episode.rewards[t]}); the dataset does not match this envsuite")
            if t + 1 in keep or t == len(episode) - 1:
                frames.append(env.render())
    finally:
        env.close()
    return [np.asarray(frame, dtype=np.uint8) for frame in frames if frame is not None]


def _action_at(actions, t):
    if isinstance(actions, dict):
        return {key: _action_at(value, t) for key, value in actions.items()}
    return np.asarray(actions[t])


def draw_action(screen: np.ndarray, action: dict) -> np.ndarray:
    """An Android screen with its AitW action drawn on it."""
    from PIL import Image, ImageDraw

    from envsuite.android.spaces import ACTION_NAMES, DUAL_POINT, TAP_DISTANCE, TYPE

    image = Image.fromarray(np.asarray(screen))
    draw = ImageDraw.Draw(image)
    height, width = screen.shape[:2]
    code = int(action["action_type"])
    touch = np.asarray(action["touch_yx"], dtype=float)
    lift = np.asarray(action["lift_yx"], dtype=float)
    red = (230, 30, 30)
    radius = max(6, width // 30)
    ty, tx = touch[0] * height, touch[1] * width
    if code == DUAL_POINT:
        draw.ellipse([tx - radius, ty - radius, tx + radius, ty + radius], outline=red, width=max(2, radius // 3))
        if np.linalg.norm(lift - touch) > TAP_DISTANCE:
            ly, lx = lift[0] * height, lift[1] * width
            draw.line([tx, ty, lx, ly], fill=red, width=max(2, radius // 3))
            draw.ellipse([lx - radius / 2, ly - radius / 2, lx + radius / 2, ly + radius / 2], fill=red)
    label = ACTION_NAMES.get(code, f"code {code}")
    if code == TYPE:
        label += f' "{action["typed_text"]}"'
    if code != DUAL_POINT:
        draw.rectangle([0, height * 0.45, width, height * 0.52], fill=(0, 0, 0))
        from envsuite.android.rendering import _font, _font_size

        draw.text((width * 0.03, height * 0.485), label, fill=(255, 255, 255), anchor="lm", font=_font(_font_size(height)))
    return np.asarray(image)


def write_video(frames: list[np.ndarray], out: str | os.PathLike, fps: int) -> Path:
    """Frames to a .gif (Pillow) or .mp4 (imageio + ffmpeg), written next to `out` and renamed into place."""
    out = Path(out)
    if not frames:
        raise ValueError("no frames to write")
    suffix = out.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise ValueError(f"--out must end in .gif or .mp4, got {out.name!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.stem}.partial{suffix}")
    try:
        if suffix == ".gif":
            from PIL import Image

            images = [Image.fromarray(frame) for frame in frames]
            images[0].save(partial, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
        else:
            import imageio.v2 as imageio

            even = [frame[: frame.shape[0] // 2 * 2, : frame.shape[1] // 2 * 2] for frame in frames]  # yuv420p
            imageio.mimwrite(partial, even, fps=fps, codec="libx264", macro_block_size=1)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return out
