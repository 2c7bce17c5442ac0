"""Server-rendered HTML pages (citizens and staff)."""
