"""Recording live rooms at the RTP level: the on-disk format, and the writers the SFU feeds."""
