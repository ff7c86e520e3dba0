"""Shadow-traffic parity: replay recorded requests against the known-good primary (the monolith),
an extracted candidate service and, optionally, a second primary, then compare the answers.

Data flow, one module each:
``recorded`` (JSONL/HAR in) -> ``replay`` (httpx, bounded and rate-capped) -> ``compare``
(status, headers, JSON paths) -> ``noise`` (Diffy's relative/absolute thresholds) -> ``report``
(the model) -> ``render`` / ``html`` (table, JSON, HTML out). ``run`` glues them for the
`prepctl shadow` command and the `shadow` gate.

Two anchors shape it: Diffy cancels out whatever differs between two primaries (timestamps,
request ids), and GitHub's Scientist counts a failure on one side as a mismatch, never a crash.
"""
