"""The Starlette application: settings, database, auth, pages, API, signaling and wiring."""
