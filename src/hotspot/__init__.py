"""hotspot: geospatial hotspot and forecasting engine for Violence Reduction Units.

The library is one verb per analysis (see ``docs/api.md``)::

    import hotspot
    sa = hotspot.study_area("boundaries.gpkg")          # or embedded=True for the demo world
    res = hotspot.load_offences("police/", sa)           # read, validate, geocode, reconcile
    sv = hotspot.select_offences(res.offences)           # serious violence (the default rules)
    surface = hotspot.kde(sv, sa, cell=100)              # xarray DataArray
    gi = hotspot.gistar(sv, sa, cell=100, distance=300)  # xarray Dataset

The pipeline flows one way (README "Architecture"): ingest -> geography -> grid -> hotspots /
forecast -> publish, orchestrated by :mod:`hotspot.cycle`; :mod:`hotspot.cli` sits on top.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from hotspot.errors import ConfigError, HotspotError, InputError

__version__ = "0.1.0"

#: The library verbs, re-exported from :mod:`hotspot.api`.
VERBS = ("study_area", "load_offences", "area_profile", "select_offences", "time_resolution", "harm", "kde", "gistar",
         "emerging", "profile", "forecast", "backtest", "tasking_map")

__all__ = ["__version__", "HotspotError", "InputError", "ConfigError", "StudyArea", *VERBS]

if TYPE_CHECKING:  # for type checkers and editors; at run time __getattr__ loads them
    from hotspot.api import (  # noqa: F401
        area_profile,
        backtest,
        emerging,
        forecast,
        gistar,
        harm,
        kde,
        load_offences,
        profile,
        select_offences,
        study_area,
        tasking_map,
        time_resolution,
    )
    from hotspot.grid.study_area import StudyArea  # noqa: F401


def __getattr__(name: str) -> Any:
    # The verbs pull in geopandas, numba and scikit-learn (seconds to import): they load on first
    # use so that `hotspot --help` and `import hotspot.errors` stay fast (PEP 562). Loading binds
    # every verb here, so `hotspot.forecast` is the verb even though importing the library also
    # imports the stage package of the same name.
    if name in VERBS:
        from hotspot import api  # noqa: PLC0415 - lazy on purpose (see above)

        globals().update({verb: getattr(api, verb) for verb in VERBS})
        return globals()[name]
    if name == "StudyArea":
        from hotspot.grid.study_area import StudyArea  # noqa: PLC0415

        return StudyArea
    raise AttributeError(f"module 'hotspot' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


class _Package(types.ModuleType):
    """``hotspot`` itself: a stage package never shadows the verb of the same name.

    Importing ``hotspot.forecast.models`` makes Python set the attribute ``hotspot.forecast`` to
    the package; here that attribute stays the verb :func:`hotspot.api.forecast` (the package is
    still ``sys.modules["hotspot.forecast"]``, which every ``import`` statement uses).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in VERBS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
