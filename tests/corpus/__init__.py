"""Real-world corpus: code nobody here wrote, fetched from PyPI by exact version and sha256."""
