"""Spiders: one generic spider, driven by a registry source or a start URL."""
