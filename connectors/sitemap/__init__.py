"""News sitemaps (Google News sitemaps and sitemap indexes), with each listed page fetched."""

from connectors.sitemap.connector import SitemapConfig, SitemapConnector

__all__ = ["SitemapConfig", "SitemapConnector"]
