"""geography stage."""
