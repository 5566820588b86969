import json
import os
import subprocess
import sys

import pytest

from hotspot.errors import LockError
from hotspot.runner import LOCK_NAME, StageCache, atomic_folder, folder_lock, run_stage, stage_key


def test_lock_refuses_a_second_run_and_releases(tmp_path):
    with folder_lock(tmp_path):
        with pytest.raises(LockError, match="locked by another hotspot run"):
            with folder_lock(tmp_path):
                pass
    assert not (tmp_path / LOCK_NAME).exists()
    with folder_lock(tmp_path):
        pass


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(proc.stdout)
    import socket

    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": dead, "host": socket.gethostname()}))
    with folder_lock(tmp_path):
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()


def test_failed_build_leaves_previous_folder_untouched(tmp_path):
    final = tmp_path / "2021-W26"
    with atomic_folder(final) as tmp:
        (tmp / "map.html").write_text("v1")
    with pytest.raises(RuntimeError):
        with atomic_folder(final) as tmp:
            (tmp / "map.html").write_text("half")
            raise RuntimeError("killed mid-stage")
    assert (final / "map.html").read_text() == "v1"
    assert [p.name for p in tmp_path.iterdir()] == ["2021-W26"]


def test_stage_cache_resumes_and_rekeys(tmp_path):
    cache = StageCache(tmp_path / ".cache")
    calls = []

    def work(folder):
        calls.append(1)
        (folder / "out.csv").write_text("a\n")

    k1 = stage_key("ingest", {"a": 1}, {"f": "h1"}, [], "0")
    r1 = run_stage(cache, "ingest", k1, work, log=lambda s: None)
    r2 = run_stage(cache, "ingest", k1, work, log=lambda s: None)
    assert len(calls) == 1 and not r1.cached and r2.cached and r2.files == ["out.csv"]
    k2 = stage_key("ingest", {"a": 1}, {"f": "h2"}, [], "0")
    assert k2 != k1
    run_stage(cache, "ingest", k2, work, log=lambda s: None)
    assert len(calls) == 2


def test_failing_stage_leaves_no_cache(tmp_path):
    cache = StageCache(tmp_path / ".cache")

    def boom(folder):
        (folder / "partial.csv").write_text("x")
        raise ValueError("stage failed")

    with pytest.raises(ValueError):
        run_stage(cache, "s", "k", boom, log=lambda s: None)
    assert not cache.done("s", "k") and list((tmp_path / ".cache").iterdir()) == []
