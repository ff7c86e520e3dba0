"""The import graph: queries, contracts, baseline, pictures and reports over the scanner's edges.

Data flow: ``scan`` reads a tree into edges; ``model.ImportGraph`` puts them
on networkx; ``queries`` answers questions (importers, cycles, orphans, usage); ``contracts``
check boundaries and ``baseline`` ratchets their known violations; ``render``, ``output`` and
``report`` turn results into text, pictures and documents. Nothing here prints.
"""
