"""Gate kinds: one module each, registered in ``prepctl.gates.registry``."""
