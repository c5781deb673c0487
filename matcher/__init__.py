"""fagmatch: matcher."""
