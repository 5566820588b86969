"""hotspots stage."""
