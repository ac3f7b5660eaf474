"""Reddit subreddits and searches: keyless Atom feeds, or the JSON API with OAuth."""

from connectors.reddit.connector import RedditConfig, RedditConnector

__all__ = ["RedditConfig", "RedditConnector"]
