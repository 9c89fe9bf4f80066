"""Fixtures: to be filled in."""
