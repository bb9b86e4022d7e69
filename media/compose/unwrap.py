"""Extending wrapping counters (16-bit sequence numbers, 32-bit RTP timestamps) to 64 bits.

Each value is taken as the nearest one to its predecessor, so reordering and retransmissions
of up to half the counter's range in either direction unwrap correctly.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def unwrap(values: npt.NDArray[np.int64], bits: int) -> npt.NDArray[np.int64]:
    """Values in arrival order, extended so that consecutive ones differ by less than half
    the range; the first keeps its value."""
    if values.size == 0:
        return values.astype(np.int64)
    modulus = 1 << bits
    half = modulus >> 1
    steps = (np.diff(values.astype(np.int64)).astype(np.int64) + half) % modulus - half
    out = np.empty(values.size, dtype=np.int64)
    out[0] = values[0]
    np.cumsum(steps, out=out[1:])
    out[1:] += values[0]
    return out


def unwrap_near(value: int, reference: int, bits: int) -> int:
    """``value`` (a raw counter) extended to the 64-bit value nearest ``reference``."""
    modulus = 1 << bits
    half = modulus >> 1
    return reference + ((value - reference + half) % modulus) - half
