"""Documents rendered from phases.yaml and the same evaluation the gates produce.

RFCs, runbooks, post-mortems and the dashboard are Jinja2 templates (``prepctl/templates/``,
overridable per project) filled with typed context objects built here. Output is deterministic:
nothing in it depends on the clock or on dict ordering, so re-rendering unchanged inputs gives
the same bytes and reviews diff cleanly.
"""
