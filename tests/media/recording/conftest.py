"""The SFU suite's loopback fixtures (aiortc clients, the ``sfu`` and ``events`` fixtures),
reused here: the recorder is one more subscriber of the same forwarding path."""

from tests.media.sfu.conftest import clients, events, sfu

__all__ = ["clients", "events", "sfu"]
