"""HTML page handlers, one module per area. Each calls services and renders a template."""
