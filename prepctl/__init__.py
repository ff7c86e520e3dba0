"""prepctl: make a phased monolith-extraction plan executable."""

__version__ = "0.1.0"
