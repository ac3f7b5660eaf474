"""Processing: pure rules (extract, clean, dedup, tag), thin faust agents, the ES adapter."""
