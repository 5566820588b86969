"""No data loss (issue 14): cycle ids, public/sensitive folders, leftovers of killed runs, lock race."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hotspot.errors import ConfigError, LockError
from hotspot.runner import (
    LOCK_NAME,
    atomic_folder,
    check_replaceable,
    clean_leftovers,
    cycle_folder,
    folder_lock,
    validate_cycle_id,
)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("bad", [".", "..", "", "a/b", "a\\b", "../x", "/abs", ".hidden", "public", "x" * 65,
                                 "a\x00b", "2021.W26"])
def test_unsafe_cycle_ids_are_refused(bad):
    with pytest.raises(ConfigError, match="cycle id"):
        validate_cycle_id(bad)


def test_good_ids_pass():
    for ok in ("2021-W26", "may_2024", "A1"):
        assert validate_cycle_id(ok) == ok


def _publish(out: Path, cid: str, public: bool, files: dict[str, str]) -> Path:
    final = cycle_folder(out, cid, public)
    handling = "OFFICIAL" if public else "OFFICIAL-SENSITIVE"
    check_replaceable(final, handling)
    with atomic_folder(final) as tmp:
        for rel, text in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_text(text)
        (tmp / "manifest.json").write_text(json.dumps({"handling": handling}))
    return final


def test_sensitive_then_public_and_reverse_lose_no_file(tmp_path):
    for order in ((False, True), (True, False)):
        out = tmp_path / f"out{int(order[0])}"
        (out / "analyst_notes").mkdir(parents=True)
        (out / "analyst_notes" / "mine.txt").write_text("keep me")
        written = {}
        for public in order:
            f = _publish(out, "2021-W26", public, {"maps/tasking_map.html": f"public={public}",
                                                  "layers/offences.gpkg" if not public else "tables/t.csv": "x"})
            written[public] = _tree(f)
        assert _tree(cycle_folder(out, "2021-W26", False)) == written[False]   # sensitive intact
        assert _tree(cycle_folder(out, "2021-W26", True)) == written[True]     # public intact
        assert not (cycle_folder(out, "2021-W26", True) / "layers" / "offences.gpkg").exists()
        assert (out / "analyst_notes" / "mine.txt").read_text() == "keep me"


def test_folder_of_other_handling_is_never_replaced(tmp_path):
    old = tmp_path / "2021-W26"
    old.mkdir()
    (old / "manifest.json").write_text(json.dumps({"handling": "OFFICIAL"}))   # an old-layout public cycle
    before = _tree(tmp_path)
    with pytest.raises(ConfigError, match="left untouched"):
        _publish(tmp_path, "2021-W26", False, {"a.txt": "x"})
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "x.csv").write_text("an analyst's own file")
    with pytest.raises(ConfigError):
        check_replaceable(tmp_path / "mine", "OFFICIAL")                        # no manifest: not a cycle
    assert _tree(tmp_path) == {**before, "mine/x.csv": b"an analyst's own file"}


def test_cycle_with_id_dot_refuses_before_touching_out(tmp_path):
    from hotspot.config import validate
    from hotspot.cycle import run_cycle
    from hotspot.paths import data_dir

    out = tmp_path / "outputs"
    (out / "2021-W25").mkdir(parents=True)
    (out / "2021-W25" / "manifest.json").write_text("{}")
    (out / "notes.txt").write_text("analyst")
    (out / ".cache").mkdir()
    (out / ".cache" / "keep").write_text("cache")
    before = _tree(out)
    for bad in (".", "..", "../elsewhere"):
        raw = {"inputs": {"embedded": True, "offences": [str(data_dir() / "offences_extract.csv.gz")]},
               "cycle": {"id": bad}}
        with pytest.raises(ConfigError, match="cycle id"):  # the config itself is refused
            validate(raw)
        good = validate({**raw, "cycle": {"id": "ok"}})
        good.cycle["id"] = bad  # a config edited after validation is refused again by the run
        t0 = time.perf_counter()
        with pytest.raises(ConfigError, match="cycle id"):
            run_cycle(good, out, log=lambda s: None)
        assert time.perf_counter() - t0 < 30      # refused before any stage ran
        assert _tree(out) == before


def test_leftovers_of_killed_runs_are_cleaned_under_the_lock(tmp_path):
    for d in (".tmp-2021-W26-abc", ".old-2021-W26-123", "public/.tmp-2021-W26-x", ".cache/.forecast-q1"):
        (tmp_path / d).mkdir(parents=True)
        (tmp_path / d / "offences.gpkg").write_bytes(b"x" * 1000)
    (tmp_path / "2021-W26").mkdir()
    (tmp_path / "2021-W26" / "keep.txt").write_text("k")
    (tmp_path / ".cache" / "offences-0123").mkdir()
    with folder_lock(tmp_path):
        removed = clean_leftovers(tmp_path)
    assert len(removed) == 4
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert not [p for p in left if ".tmp-" in p or ".old-" in p or ".forecast-" in p]
    assert "2021-W26/keep.txt" in left and ".cache/offences-0123" in left


def _hold(out: str, q, go) -> None:
    go.wait()
    try:
        with folder_lock(Path(out)):
            q.put(("in", os.getpid(), time.monotonic()))
            time.sleep(0.3)
            q.put(("out", os.getpid(), time.monotonic()))
    except LockError:
        q.put(("refused", os.getpid(), time.monotonic()))


def test_stale_lock_race_lets_exactly_one_run_in(tmp_path):
    """Many processes find the same stale lock at once: never two holders at the same time."""
    ctx = mp.get_context("fork")
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True).stdout)
    for trial in range(6):
        (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": dead, "host": socket.gethostname()}))
        q, go = ctx.Queue(), ctx.Event()
        procs = [ctx.Process(target=_hold, args=(str(tmp_path), q, go)) for _ in range(6)]
        for p in procs:
            p.start()
        go.set()
        for p in procs:
            p.join(20)
        events = []
        while not q.empty():
            events.append(q.get())
        spans = {pid: [t for k, p2, t in events if p2 == pid and k in ("in", "out")]
                 for _, pid, _ in events}
        spans = sorted(tuple(v) for v in spans.values() if len(v) == 2)
        assert spans, (trial, events)                      # someone got in
        for (_a0, a1), (b0, _b1) in zip(spans, spans[1:]):
            assert b0 >= a1, (trial, spans)                # never two holders at once
        assert not (tmp_path / LOCK_NAME).exists()


def test_lock_is_removed_only_by_its_holder(tmp_path):
    with folder_lock(tmp_path):
        (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": 1, "host": "elsewhere", "token": "other"}))
    assert json.loads((tmp_path / LOCK_NAME).read_text())["token"] == "other"   # not ours: kept
