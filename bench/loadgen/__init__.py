"""Load generation for ``python -m bench.sfu``: pre-encoded publishers, counting subscribers.

- ``media``: encode a test clip once (VP8 at 720p and 360p, Opus in 20 ms frames) with the
  bundled FFmpeg and read it back, demuxed, never decoded.
- ``rtp``: the subscriber's hot path: RTP headers read from the clear part of SRTP packets
  (sequence gaps, frame arrivals), and VP8 keyframe detection for the late joiner.
- ``peer``: one participant: signaling protocol v1 over a WebSocket, an aiortc peer connection
  whose senders send pre-encoded frames and whose receivers never start.
- ``worker``: ``python -m bench.loadgen.worker``, a process running many participants,
  driven by JSON lines on stdin and answering on stdout.
- ``procs``: starting and stopping processes, reading ``/proc``.

Nothing here imports the SFU (``media.sfu``): the bench drives the server from the outside,
like browsers do, and keeps its own small copies of the few aiortc/aioice hooks it needs
(listed in ``peer``'s docstring).
"""
