"""phases.yaml: its model (``model``, a leaf), loading with ``file:line:col`` errors (``load``),
and its JSON Schema (``schema``)."""
