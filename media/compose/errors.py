"""The one error composition raises: a message for people, and the stage it failed in."""

from __future__ import annotations


class ComposeError(Exception):
    """Composition failed; the raw recording is untouched.

    ``str(error)`` says which track or file and what to do about it; ``stage`` names the step
    (``read``, ``video``, ``audio``, ``compose``, ``ladder``, ``poster``, ``verify``).
    """

    def __init__(self, message: str, stage: str) -> None:
        super().__init__(message)
        self.stage = stage

    @property
    def message(self) -> str:
        return str(self)


class Cancelled(Exception):
    """Raised inside the worker thread once the composition has been cancelled."""
