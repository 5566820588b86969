"""Multiple-testing adjustment of local p-values and Gi* confidence classes.

A Gi* map tests one hypothesis per cell: with 10,000 cells about 500 would be "significant at
95%" by chance alone. :func:`adjust` turns raw p-values into false-discovery-rate adjusted ones
(q-values) and :func:`classify` bins z-scores into the ArcGIS ``Gi_Bin`` classes -3..3
(:data:`hotspot.schema.GI_CLASSES`) by comparing the *adjusted* p-value with 0.01, 0.05 and 0.10.

Methods
-------
``"bh"``
    Benjamini-Hochberg step-up [1]_: ``q_(i) = min_{j >= i} m p_(j) / j``. Controls the FDR for
    independent or positively dependent tests (PRDS), which covers Gi* on overlapping windows
    in practice; this is the correction ArcGIS Pro applies when "Apply False Discovery Rate
    (FDR) Correction" is checked in Hot Spot Analysis [3]_.
``"bh_dependence"``
    Benjamini-Yekutieli [2]_ ("FDR under arbitrary dependence"): the BH adjustment multiplied by
    ``c(m) = sum_{i=1..m} 1/i``. Conservative; valid whatever the dependence between cells.
``"none"``
    Raw p-values.

References
----------
.. [1] Benjamini, Y., Hochberg, Y. (1995). Controlling the false discovery rate: a practical and
   powerful approach to multiple testing. J. R. Stat. Soc. B 57(1), 289-300.
.. [2] Benjamini, Y., Yekutieli, D. (2001). The control of the false discovery rate in multiple
   testing under dependency. Annals of Statistics 29(4), 1165-1188.
.. [3] Esri, ArcGIS Pro tool reference, "How Hot Spot Analysis (Getis-Ord Gi*) works" (FDR
   correction and the Gi_Bin field).
.. [4] SciPy ``scipy.stats.false_discovery_control`` (methods ``"bh"`` and ``"by"``), used here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import false_discovery_control

from hotspot.errors import ArgumentError
from hotspot.schema import GI_CLASSES

#: Accepted values of ``method`` in :func:`adjust`.
FDR_METHODS = ("bh", "bh_dependence", "none")
#: Adjusted p-value thresholds of the classes 3, 2, 1 (99%, 95% and 90% confidence).
CLASS_THRESHOLDS = (0.01, 0.05, 0.10)


def adjust(p: Any, method: str = "bh") -> np.ndarray:
    """False-discovery-rate adjusted p-values (q-values), same shape as ``p``.

    Parameters
    ----------
    p : array_like of float
        Raw p-values in [0, 1]; NaN marks cells without a test (outside the study area, or no
        variance) and stays NaN. The number of tests ``m`` is the number of non-NaN values.
    method : {"bh", "bh_dependence", "none"}
        See the module docstring.

    Returns
    -------
    ndarray of float64
        Adjusted p-values, each ``>=`` its raw p-value and ``<= 1``.

    Raises
    ------
    ArgumentError
        Unknown ``method`` or p-values outside [0, 1].

    References
    ----------
    .. [1] Benjamini, Y., Hochberg, Y. (1995). J. R. Stat. Soc. B 57(1), 289-300.
    .. [2] Benjamini, Y., Yekutieli, D. (2001). Annals of Statistics 29(4), 1165-1188.
    """
    if method not in FDR_METHODS:
        raise ArgumentError("fdr", method, "one of " + ", ".join(repr(m) for m in FDR_METHODS))
    arr = np.asarray(p, dtype=np.float64)
    ok = ~np.isnan(arr)
    vals = arr[ok]
    if vals.size and (vals.min() < 0 or vals.max() > 1):
        raise ArgumentError("p", f"values in [{vals.min():g}, {vals.max():g}]",
                            "p-values between 0 and 1 (NaN for cells without a test)")
    out = np.full(arr.shape, np.nan)
    if method == "none" or vals.size == 0:
        out[ok] = vals
        return out

    out[ok] = false_discovery_control(vals, method="bh" if method == "bh" else "by")
    return out


def classify(z: Any, p_adjusted: Any, thresholds: tuple[float, float, float] = CLASS_THRESHOLDS
             ) -> np.ndarray:
    """Gi* confidence classes -3..3 (ArcGIS ``Gi_Bin``) from z-scores and adjusted p-values.

    Class ``+-3`` when ``p_adjusted <= 0.01`` (99% confidence), ``+-2`` when ``<= 0.05``, ``+-1``
    when ``<= 0.10``, else 0; the sign is the sign of ``z`` (hot spots positive). Cells whose
    ``z`` or ``p_adjusted`` is NaN (outside the study area, or no test) are class 0.

    Parameters
    ----------
    z : array_like of float
    p_adjusted : array_like of float, same shape as ``z``
    thresholds : tuple of 3 floats
        Increasing p thresholds for classes 3, 2 and 1.

    Returns
    -------
    ndarray of int8
        Codes of :data:`hotspot.schema.GI_CLASSES`.
    """
    z = np.asarray(z, dtype=np.float64)
    q = np.asarray(p_adjusted, dtype=np.float64)
    if z.shape != q.shape:
        raise ArgumentError("p_adjusted", f"shape {q.shape}", f"the shape of z {z.shape}")
    t = tuple(float(v) for v in thresholds)
    if len(t) != 3 or not (0 < t[0] < t[1] < t[2] <= 1):
        raise ArgumentError("thresholds", thresholds, "three increasing p-values in (0, 1]")
    level = np.zeros(z.shape, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        level[q <= t[2]] = 1
        level[q <= t[1]] = 2
        level[q <= t[0]] = 3
        sign = np.where(z > 0, 1, np.where(z < 0, -1, 0)).astype(np.int8)
    out = (level * sign).astype(np.int8)
    out[np.isnan(z) | np.isnan(q)] = 0
    return out


def class_labels(classes: Any) -> np.ndarray:
    """Labels of :data:`hotspot.schema.GI_CLASSES` for an array of class codes (object array)."""
    c = np.asarray(classes).astype(np.int64)
    lut = np.array([GI_CLASSES[k] for k in range(-3, 4)], dtype=object)
    if c.size and (c.min() < -3 or c.max() > 3):
        raise ArgumentError("classes", f"codes in [{c.min()}, {c.max()}]", "codes between -3 and 3")
    return lut[c + 3]
