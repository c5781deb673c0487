"""fagmatch: service."""
