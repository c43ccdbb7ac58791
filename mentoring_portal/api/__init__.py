"""The read-only API for other systems under /api/v1/ (docs/architecture.md §13)."""
