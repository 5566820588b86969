"""forecast stage: study-area unit universes, count panels and features, peers, a learned Poisson
model, leak-free backtests, month-only forecasts, reopening scenarios and safe model persistence.

Submodules: :mod:`~hotspot.grid.universe`, :mod:`~hotspot.forecast.monthly`,
:mod:`~hotspot.forecast.regimes`, :mod:`~hotspot.forecast.features`,
:mod:`~hotspot.forecast.baselines`, :mod:`~hotspot.forecast.models`,
:mod:`~hotspot.forecast.metrics`, :mod:`~hotspot.forecast.backtest`,
:mod:`~hotspot.forecast.scenarios`, :mod:`~hotspot.forecast.persist` (and ``profile``).
"""

from __future__ import annotations
