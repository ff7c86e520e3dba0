"""Reading a hand-kept issue report (Markdown, JSON or CSV) into items with a severity and a state.

``reader`` is the entry point; ``items`` holds the shared item model and severity words,
``markdown`` the Markdown reader and ``exports`` the JSON/CSV tracker exports.
"""
