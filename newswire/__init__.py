"""newswire: news feeds and social posts in, a clean, tagged, searchable stream out."""

__version__ = "0.1.0"
