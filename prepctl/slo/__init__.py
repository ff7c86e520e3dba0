"""The SLO domain behind the ``slo`` gate and ``prepctl baseline capture``.

``durations`` and ``conditions`` parse what phases.yaml writes; ``objectives`` is the options
model; ``samples`` checks the time of what a query returned; ``measure`` runs a query and reduces
it to numbers; ``judge`` turns numbers into a verdict; ``baselines`` reads and captures baselines.
"""
