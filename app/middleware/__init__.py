"""ASGI middleware, one per module; ``app.main`` stacks them in order."""
