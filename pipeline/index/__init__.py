"""The Elasticsearch adapter: index template, bulk writer, indexer role, search."""
