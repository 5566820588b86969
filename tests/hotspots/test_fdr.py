"""FDR adjustment (Benjamini-Hochberg, Benjamini-Yekutieli) and Gi* classes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotspot.errors import ArgumentError
from hotspot.hotspots.fdr import adjust, class_labels, classify
from hotspot.schema import GI_CLASSES


def _naive(p, dependence=False):
    """Textbook step-up: q_(i) = min_{k >= i} min(1, c m p_(k) / k), O(m^2), no library."""
    p = np.asarray(p, dtype=float)
    m = p.size
    c = sum(1.0 / i for i in range(1, m + 1)) if dependence else 1.0
    order = np.argsort(p, kind="stable")
    ps = p[order]
    q_sorted = np.empty(m)
    for i in range(m):
        q_sorted[i] = min(min(1.0, c * m * ps[k] / (k + 1)) for k in range(i, m))
    q = np.empty(m)
    q[order] = q_sorted
    return q


def test_bh_hand_example():
    # sorted 0.005, 0.01, 0.03, 0.04 -> 4p/i = 0.02, 0.02, 0.04, 0.04
    p = [0.01, 0.04, 0.03, 0.005]
    np.testing.assert_allclose(adjust(p, "bh"), [0.02, 0.04, 0.04, 0.02])
    c4 = 1 + 1 / 2 + 1 / 3 + 1 / 4
    np.testing.assert_allclose(adjust(p, "bh_dependence"), np.array([0.02, 0.04, 0.04, 0.02]) * c4)
    np.testing.assert_allclose(adjust(p, "none"), p)


def test_bh_step_up_uses_later_ranks():
    # 0.012 * 5 / 2 = 0.03 but the later 0.018 * 5 / 3 = 0.03 and 0.02 * 5 / 4 = 0.025 pull it down
    p = [0.001, 0.012, 0.018, 0.02, 0.9]
    np.testing.assert_allclose(adjust(p), [0.005, 0.025, 0.025, 0.025, 0.9])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=40), st.booleans())
def test_matches_naive_reference(p, dep):
    q = adjust(p, "bh_dependence" if dep else "bh")
    np.testing.assert_allclose(q, _naive(p, dep), rtol=1e-12, atol=1e-15)
    assert np.all(q >= np.asarray(p) - 1e-15) and np.all(q <= 1)
    # order preserving: a smaller p never gets a larger q
    o = np.argsort(p, kind="stable")
    assert np.all(np.diff(q[o]) >= -1e-15)


def test_nan_stays_nan_and_is_not_counted():
    p = np.array([[0.01, np.nan], [0.04, 0.03]])
    q = adjust(p)
    assert q.shape == p.shape and np.isnan(q[0, 1])
    np.testing.assert_allclose(q[~np.isnan(p)], _naive([0.01, 0.04, 0.03]))
    assert np.isnan(adjust([np.nan, np.nan])).all()


def test_bad_inputs():
    with pytest.raises(ArgumentError, match="fdr"):
        adjust([0.1], "holm")
    with pytest.raises(ArgumentError, match="'p'"):
        adjust([0.1, 1.5])


def test_classify_thresholds_and_sign():
    z = np.array([3.0, 2.0, 1.7, 0.5, -1.7, -2.0, -3.0, np.nan, 2.0])
    q = np.array([0.001, 0.04, 0.09, 0.5, 0.1, 0.05, 0.01, 0.001, np.nan])
    got = classify(z, q)
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got, [3, 2, 1, 0, -1, -2, -3, 0, 0])
    assert list(class_labels(got)) == [GI_CLASSES[int(c)] for c in got]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(-6, 6), st.floats(0, 1)), min_size=1, max_size=30))
def test_classify_is_consistent(pairs):
    z = np.array([a for a, _ in pairs])
    q = np.array([b for _, b in pairs])
    c = classify(z, q)
    assert np.all(np.abs(c) <= 3)
    assert np.all((c == 0) | (np.sign(c) == np.sign(z)))
    assert np.all((np.abs(c) == 3) == ((q <= 0.01) & (z != 0)))
    assert np.all((c != 0) == ((q <= 0.10) & (z != 0)))


def test_classify_shape_mismatch():
    with pytest.raises(ArgumentError, match="p_adjusted"):
        classify([1.0, 2.0], [0.1])
