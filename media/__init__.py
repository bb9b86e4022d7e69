"""Real-time and offline media: the SFU, the recorder, composition and transcoding.

Knows nothing of courses or the database; it emits facts (media/events.py) that app/ routes.
"""
