"""fagmatch: crawler."""
