"""Gazetteer, matching and disambiguation behind ``pipeline.tag.regions``."""
