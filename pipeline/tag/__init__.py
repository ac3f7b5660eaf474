"""Tagging steps: pure functions that fill an article's region and topic fields."""
