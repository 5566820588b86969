"""hotspot: geospatial hotspot and forecasting engine for Violence Reduction Units.

The pipeline flows one way (see README "Architecture"):
ingest -> geography -> grid -> hotspots / forecast -> publish, orchestrated by :mod:`hotspot.cycle`.
"""

__version__ = "0.1.0"

from hotspot.errors import HotspotError, InputError, ConfigError  # noqa: E402

__all__ = ["__version__", "HotspotError", "InputError", "ConfigError"]
