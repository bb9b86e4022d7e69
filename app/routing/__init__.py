"""How facts travel between processes: the event bus, in-process or over Redis pub/sub."""
