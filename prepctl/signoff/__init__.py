"""The sign-off domain: who must approve a phase, who did, and whether that approval still counts.

Approvals come from git trailers ``Approved-by: Name <email>`` on commits that touch the RFC
(``git_approvals``) and from the sign-off file that ``prepctl signoff`` appends to
(``signoffs_file``). An approval older than the RFC's last *content* change is stale
(``state``): approvers signed what the RFC said then. What counts as content is the RFC without
the generated regions that only report state (``content``), so re-rendering today's verdicts
does not void yesterday's approvals, while changing a task, a date or a criterion does.

The `signoff` gate (``prepctl.gates.signoff``) and the RFC document read this package; nothing
here imports a gate.
"""
