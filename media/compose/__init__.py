"""Offline composition and transcoding of raw recordings (``media/recording``).

``compose_recording`` turns a raw recording folder into an H.264/AAC MP4 with chapters, an
HLS ladder, a poster and chapter files; ``verify_outputs`` checks them before the raw files
may be removed.
"""

from .errors import ComposeError
from .options import ComposeOptions, ProgressCallback
from .pipeline import compose_recording
from .result import Chapter, ComposeResult, Rendition
from .verify import verify_outputs

__all__ = [
    "Chapter",
    "ComposeError",
    "ComposeOptions",
    "ComposeResult",
    "ProgressCallback",
    "Rendition",
    "compose_recording",
    "verify_outputs",
]
