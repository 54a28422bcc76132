"""Storage backends behind one interface (``backends.base.Backend``), found by name."""
