"""`prepctl init`: from a plan in prose to a phases.yaml of evidence gates.

- :mod:`.outline` reads the Markdown plan (phases, sections, bullets, code spans);
- :mod:`.grounding` is the repository as the recognisers see it (files, modules, settings);
- :mod:`.recognisers` turn bullets into gate drafts, one module per kind of bullet;
- :mod:`.render` writes the phases.yaml, :mod:`.draft` runs it all (``init_plan``).

This lives outside ``prepctl.plan`` on purpose: the plan model stays a leaf, and the recognisers
may use the flag reader and the graph's layout helpers, which sit above it.
"""
