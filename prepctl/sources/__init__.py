"""Where evidence comes from: the monolith's tree, git, the import scanner and live services.

Each source is one module with a small interface so a test can swap in a fake.
"""
