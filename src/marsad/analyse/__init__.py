"""Analysis of the stored record: cross-article merging, near-duplicates, aggregates and alerts."""
