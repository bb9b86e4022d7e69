"""Encoded frames from a video track's packets: sorted by sequence number, grouped by
timestamp, ended by the marker bit.

A frame missing a packet is dropped, and after any loss (or before the first keyframe) frames
are skipped until the next keyframe, so that the decoder never sees a frame whose references
it lacks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .depacketizer import Depacketizer
from .tracks import LoadedTrack


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    epoch: int
    ext_timestamp: int
    data: bytes
    keyframe: bool
    size: tuple[int, int]
    """The picture size in force (set by the last keyframe)."""


@dataclass(slots=True)
class Assembly:
    """Counts of what ``iter_frames`` made of a track (filled in as it goes)."""

    frames: int = 0
    incomplete: int = 0
    """Frames with a packet missing or malformed."""
    skipped: int = 0
    """Whole frames skipped while waiting for a keyframe."""
    keyframes: int = 0


def assemble_frames(track: LoadedTrack, depacketizer: Depacketizer,
                    ) -> tuple[list[EncodedFrame], Assembly]:
    """All the frames at once (for tests and short tracks)."""
    counts = Assembly()
    return list(iter_frames(track, depacketizer, counts)), counts


def iter_frames(track: LoadedTrack, depacketizer: Depacketizer,
                out: Assembly) -> Iterator[EncodedFrame]:
    """The decodable frames in order, one at a time (a long track never sits in memory
    twice); ``out`` counts them and what was dropped."""
    payloads = track.payloads
    if payloads is None:
        raise ValueError("the track was loaded without its payloads")
    if track.packets == 0:
        return
    order = np.lexsort((track.ext_sequence, track.epoch))
    epochs = track.epoch[order]
    seqs = track.ext_sequence[order]
    stamps = track.ext_timestamp[order]
    markers = track.marker[order]
    size: tuple[int, int] | None = None
    need_keyframe = True
    previous_seq: int | None = None
    previous_epoch = -1
    i = 0
    total = order.size
    while i < total:
        epoch = int(epochs[i])
        stamp = int(stamps[i])
        # One frame: consecutive packets (by sequence) with this timestamp; duplicates dropped.
        members = [int(order[i])]
        first_seq = last_seq = int(seqs[i])
        j = i + 1
        while j < total and epochs[j] == epoch and stamps[j] == stamp:
            seq = int(seqs[j])
            if seq != last_seq:
                members.append(int(order[j]))
                last_seq = seq
            j += 1
        contiguous = last_seq - first_seq + 1 == len(members)
        lost_before = epoch != previous_epoch or previous_seq is None or (
            first_seq != previous_seq + 1
        )
        if lost_before:
            need_keyframe = True
        previous_epoch = epoch
        previous_seq = last_seq
        i = j
        data = None
        if (
            contiguous
            and bool(markers[j - 1])
            and depacketizer.starts_frame(payloads[members[0]])
        ):
            data = depacketizer.join([payloads[k] for k in members])
        if data is None:
            out.incomplete += 1
            need_keyframe = True
            continue
        keyframe, new_size = depacketizer.keyframe(data)
        if keyframe and new_size is not None:
            size = new_size
        if keyframe and size is not None:
            need_keyframe = False
            out.keyframes += 1
        elif need_keyframe or size is None:
            out.skipped += 1
            continue
        out.frames += 1
        yield EncodedFrame(epoch, stamp, data, keyframe and size is not None, size)
