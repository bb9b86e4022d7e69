"""The SFU suite's loopback fixtures, for the end-to-end media path."""

from tests.media.sfu.conftest import events, sfu

__all__ = ["events", "sfu"]
