"""Machinery of a batch run: stage cache keyed by input hashes, output-folder lock, atomic publish.

A stage writes its files into its own cache folder ``DIR/.cache/<stage>-<key>/``; the key is a
SHA-256 of the stage's parameters, the hashes of its input files and the keys of the stages it
depends on, so a second run on the same inputs reuses finished stages (resume) and any change
re-runs exactly the stages it affects. The cycle folder is assembled in ``DIR/.tmp-*`` and renamed
into place only when every stage has finished: a killed or failed run leaves the previous outputs
untouched. A lock file stops two runs writing into the same folder at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from hotspot.errors import LockError
from hotspot.io import sha256_file

LOCK_NAME = ".hotspot.lock"


def hash_inputs(paths: list[Path]) -> dict[str, str]:
    """SHA-256 of every file under ``paths`` (folders walked in sorted order)."""
    out: dict[str, str] = {}
    for p in paths:
        p = Path(p)
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            out[str(f)] = sha256_file(f)
    return out


def stage_key(name: str, params: Any, input_hashes: dict[str, str], upstream: list[str], version: str) -> str:
    """Deterministic cache key of a stage."""
    blob = json.dumps({"stage": name, "params": params, "inputs": input_hashes, "upstream": upstream,
                       "version": version}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class StageCache:
    """Per-stage folders under ``root``; a stage is finished when its ``.done`` marker exists."""

    root: Path

    def folder(self, name: str, key: str) -> Path:
        return self.root / f"{name}-{key}"

    def done(self, name: str, key: str) -> bool:
        return (self.folder(name, key) / ".done").exists()

    @contextmanager
    def writing(self, name: str, key: str) -> Iterator[Path]:
        """Yield a temporary folder; on success it becomes the stage's cache folder."""
        final = self.folder(name, key)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=self.root))
        try:
            yield tmp
            (tmp / ".done").write_text(key)
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    def prune(self, keep: set[str]) -> None:
        """Remove cache folders that no longer match any current stage key."""
        if not self.root.exists():
            return
        for d in self.root.iterdir():
            if d.is_dir() and d.name not in keep:
                shutil.rmtree(d, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def folder_lock(out_dir: Path, *, wait: float = 0.0, poll: float = 0.5) -> Iterator[Path]:
    """Hold ``out_dir/.hotspot.lock`` for the duration; refuse (or wait up to ``wait`` s) if taken.

    A lock left by a dead process on this host is stale and taken over.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    lock = out_dir / LOCK_NAME
    deadline = time.monotonic() + wait
    me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            with os.fdopen(fd, "w") as fh:
                json.dump(me, fh)
            break
        except FileExistsError:
            try:
                holder = json.loads(lock.read_text() or "{}")
            except (OSError, json.JSONDecodeError):
                holder = {}
            if holder.get("host") == me["host"] and holder.get("pid") and not _pid_alive(int(holder["pid"])):
                lock.unlink(missing_ok=True)  # stale: its process is gone
                continue
            if time.monotonic() >= deadline:
                raise LockError(
                    f"{out_dir} is locked by another hotspot run (pid {holder.get('pid', '?')} on "
                    f"{holder.get('host', '?')}, started {holder.get('started', '?')}); wait for it to "
                    f"finish (or pass --wait SECONDS), or delete {lock} if that run is no longer alive")
            time.sleep(poll)
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)


@contextmanager
def atomic_folder(final: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder that replaces ``final`` only on success."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=final.parent))
    try:
        yield tmp
        old = None
        if final.exists():
            old = final.parent / f".old-{final.name}-{os.getpid()}"
            os.replace(final, old)
        os.replace(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class StageResult:
    name: str
    key: str
    folder: Path
    cached: bool
    seconds: float
    files: list[str] = field(default_factory=list)


def run_stage(cache: StageCache, name: str, key: str, func: Callable[[Path], None],
              log: Callable[[str], None] = print) -> StageResult:
    """Run ``func(folder)`` unless the stage's cache is finished; time it."""
    t0 = time.perf_counter()
    if cache.done(name, key):
        log(f"[{name}] cached ({key})")
        cached = True
    else:
        log(f"[{name}] running ...")
        with cache.writing(name, key) as tmp:
            func(tmp)
        cached = False
    folder = cache.folder(name, key)
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != ".done")
    dt = time.perf_counter() - t0
    log(f"[{name}] done in {dt:.1f} s: {len(files)} file(s)")
    return StageResult(name, key, folder, cached, dt, files)
