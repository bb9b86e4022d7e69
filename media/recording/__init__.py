"""Recording live rooms at the RTP level: the on-disk format (``format``), the writers the
SFU's forwarders feed (``writer``), and a room's recording (``recorder``; started and stopped
through ``media.sfu.Room.start_recording`` / ``stop_recording``)."""

from .recorder import LAYOUTS, RecordingError, RecordingSummary, RoomRecording

__all__ = ["LAYOUTS", "RecordingError", "RecordingSummary", "RoomRecording"]
