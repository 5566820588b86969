"""Progress reporting for long work (tqdm on stderr; silent when not a terminal or when disabled)."""

from __future__ import annotations

import os
import sys
from typing import Iterable, Iterator, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def enabled() -> bool:
    """Progress bars show on a terminal unless ``HOTSPOT_PROGRESS=0``; ``HOTSPOT_PROGRESS=1`` forces them."""
    flag = os.environ.get("HOTSPOT_PROGRESS")
    if flag is not None:
        return flag not in ("0", "false", "no", "")
    return sys.stderr.isatty()


def track(iterable: Iterable[T], desc: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """Wrap ``iterable`` in a progress bar named ``desc``."""
    return iter(tqdm(iterable, desc=desc, total=total, unit=unit, disable=not enabled(),
                     file=sys.stderr, leave=False))


def bar(total: int, desc: str, unit: str = "it") -> tqdm:
    """A manual progress bar (``with bar(n, "x") as b: b.update(1)``)."""
    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled(), file=sys.stderr, leave=False)
