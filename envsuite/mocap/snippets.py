"""Snippets: overlapping windows of a clip, named as MoCapAct names them (`<clip>-<start>-<end>`).

Where it sits: the MoCap family's unit of training and data collection (envsuite/mocap/). MoCapAct
trains one expert per snippet and starts rollouts at snippet starts; a snippet id
`CMU_016_22-0-82` means clip CMU_016_22, steps [0, 82]. `to_clip_collection` turns snippets into
the `ClipCollection` dm_control's tracking task takes (ids, start_steps, end_steps).

Windows: at most `max_steps` steps each, consecutive windows sharing `overlap_steps`, the last one
ending at the clip's last step. The defaults (4 s windows overlapping by 1 s at dt 0.03) are
envsuite's; MoCapAct's exact windowing could not be checked here.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_STEPS = 133  # about 4 s at dt 0.03
DEFAULT_OVERLAP_STEPS = 33  # about 1 s


@dataclass(frozen=True)
class Snippet:
    clip: str
    start_step: int
    end_step: int  # inclusive, as in MoCapAct's ids and dm_control's ClipCollection

    @property
    def id(self) -> str:
        return f"{self.clip}-{self.start_step}-{self.end_step}"

    @property
    def num_steps(self) -> int:
        return self.end_step - self.start_step + 1

    @classmethod
    def from_id(cls, snippet_id: str) -> "Snippet":
        """Parse `<clip>-<start>-<end>` (clip names may themselves contain '-')."""
        clip, _, rest = snippet_id.rpartition("-")
        clip, _, start = clip.rpartition("-")
        try:
            snippet = cls(clip, int(start), int(rest))
        except ValueError:
            raise ValueError(f"{snippet_id!r} is not a snippet id of the form <clip>-<start>-<end>") from None
        if not clip or snippet.start_step < 0 or snippet.end_step <= snippet.start_step:
            raise ValueError(f"{snippet_id!r} is not a snippet id of the form <clip>-<start>-<end> with start < end")
        return snippet


def split_clip(clip: str, num_steps: int, max_steps: int = DEFAULT_MAX_STEPS,
               overlap_steps: int = DEFAULT_OVERLAP_STEPS) -> list[Snippet]:
    """Overlapping windows covering steps 0 .. num_steps - 1 of a clip."""
    if num_steps < 2:
        raise ValueError(f"clip {clip!r} has {num_steps} steps; a snippet needs at least 2")
    if max_steps < 2 or not 0 <= overlap_steps < max_steps - 1:
        raise ValueError(f"need max_steps >= 2 and 0 <= overlap_steps < max_steps - 1, got {max_steps}, {overlap_steps}")
    last = num_steps - 1
    snippets, start = [], 0
    while True:
        end = min(start + max_steps - 1, last)
        snippets.append(Snippet(clip, start, end))
        if end == last:
            return snippets
        start = end - overlap_steps


def to_clip_collection(snippets: list[Snippet]):
    """dm_control's `ClipCollection` for these snippets (for MultiClipMocapTracking)."""
    from dm_control.locomotion.tasks.reference_pose import types

    return types.ClipCollection(ids=tuple(s.clip for s in snippets), start_steps=tuple(s.start_step for s in snippets),
                                end_steps=tuple(s.end_step for s in snippets))
