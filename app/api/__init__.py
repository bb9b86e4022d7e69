"""JSON API under /api/, split by resource like app/pages/; documented at /api/openapi.json."""
