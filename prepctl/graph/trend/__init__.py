"""Coupling over time: how many modules import MODULE at each commit (`prepctl graph trend`).

Every commit is read straight from git objects (``prepctl.sources.git``); nothing is checked
out. The graph is kept incrementally from one commit to the next:

- a file is parsed once per *blob* (content), through the scanner's content-addressed cache, so
  a file that did not change between commits costs nothing and a re-run parses nothing;
- only files whose blob changed are re-resolved, plus, when modules appear or disappear, the files
  whose imports looked those module names up;
- a commit whose root folder has the same git tree as one already counted reuses its numbers.

Files the scanner cannot read (a syntax error anywhere in the file, a bad encoding) are skipped
and counted per commit; the commit still gets its numbers. Commits where MODULE does not exist are marked
(``exists: false``, counts 0), not errors.

The package: ``model`` (the numbers), ``incremental`` (the graph moved commit by commit),
``history`` (the walk and the counts), ``render`` (table, CSV, JSON), ``chart`` (``--plot``, drawn
with ``prepctl.charts``) and ``command`` (what `prepctl graph trend` runs).
"""
