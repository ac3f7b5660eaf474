"""RSS / Atom / RDF feeds through feedparser, with the full article page fetched per entry."""

from connectors.rss.connector import RssConfig, RssConnector

__all__ = ["RssConfig", "RssConnector"]
