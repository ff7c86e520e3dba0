"""Kitchen listings and search."""
