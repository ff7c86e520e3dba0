"""Services extracted from the Prep monolith."""
