"""Machinery of a batch run: stage cache keyed by input hashes, output-folder lock, atomic publish.

A stage writes its files into its own cache folder ``DIR/.cache/<stage>-<key>/``; the key is a
SHA-256 of the stage's parameters, the hashes of its input files and the keys of the stages it
depends on, so a second run on the same inputs reuses finished stages (resume) and any change
re-runs exactly the stages it affects. The cycle folder is assembled in ``DIR/.tmp-*`` and renamed
into place only when every stage has finished: a killed or failed run leaves the previous outputs
untouched. A lock file stops two runs writing into the same folder at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from hotspot.errors import ConfigError, LockError
from hotspot.io import sha256_file

LOCK_NAME = ".hotspot.lock"

#: Public (OFFICIAL) cycles go in ``<out>/public/<id>/``, sensitive ones in ``<out>/<id>/``.
PUBLIC_DIR = "public"

#: Prefixes of the working folders of a run (:func:`atomic_folder`, :class:`StageCache`).
_LEFTOVER = (".tmp-", ".old-")

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def validate_cycle_id(cycle_id: str) -> str:
    """Return ``cycle_id`` if it is a safe folder name, else raise :class:`ConfigError`.

    Letters, digits, ``-`` and ``_`` only, starting with a letter or digit, at most 64 characters:
    no ``.`` or ``..``, no path separators, not empty, not hidden, and not the reserved name
    ``public`` (the folder of public cycles).
    """
    cid = str(cycle_id)
    if not _ID_RE.match(cid) or cid.lower() == PUBLIC_DIR:
        raise ConfigError(f"cycle id {cycle_id!r} is not a safe folder name: use letters, digits, "
                          "'-' and '_' (e.g. \"2021-W26\"), without '.', '/', '\\', and not "
                          f"{PUBLIC_DIR!r}", key="cycle.id")
    return cid


def cycle_folder(out_dir: Path, cycle_id: str, public: bool) -> Path:
    """Where a cycle is published: ``out/<id>`` (sensitive) or ``out/public/<id>`` (public).

    A public and a sensitive cycle of the same id therefore never share (or replace) a folder.
    """
    cid = validate_cycle_id(cycle_id)
    base = Path(out_dir) / PUBLIC_DIR if public else Path(out_dir)
    final = base / cid
    if final.resolve().parent != base.resolve():  # e.g. a symlinked id folder pointing elsewhere
        raise ConfigError(f"cycle folder {final} resolves outside {base}; remove the link", key="cycle.id")
    return final


def check_replaceable(final: Path, handling: str) -> None:
    """Refuse to replace an existing cycle folder that is not a cycle of the same handling."""
    if not final.exists():
        return
    man = final / "manifest.json"
    try:
        got = json.loads(man.read_text(encoding="utf-8")).get("handling") if man.exists() else None
    except (OSError, ValueError):
        got = None
    if got != handling:
        raise ConfigError(f"{final} exists and is not a {handling} cycle folder (its manifest says "
                          f"{got!r}); it is left untouched: move it away or choose another --out",
                          key="cycle.id")


def clean_leftovers(out_dir: Path) -> list[Path]:
    """Remove the working folders of killed runs (``.tmp-*``, ``.old-*`` beside cycle folders,
    unfinished ``.<stage>-*`` folders in the cache). Call only while holding :func:`folder_lock`."""
    removed = []
    out_dir = Path(out_dir)
    for base in (out_dir, out_dir / PUBLIC_DIR):
        if base.is_dir():
            for d in base.iterdir():
                if d.name.startswith(_LEFTOVER) and d.is_dir() and not d.is_symlink():
                    shutil.rmtree(d, ignore_errors=True)
                    removed.append(d)
    for cache in (out_dir / ".cache", out_dir / PUBLIC_DIR / ".cache"):
        if cache.is_dir() and not cache.is_symlink():
            for d in cache.iterdir():
                if d.name.startswith(".") and d.is_dir() and not d.is_symlink():
                    shutil.rmtree(d, ignore_errors=True)
                    removed.append(d)
    return removed


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
def _guard(lock: Path) -> Iterator[None]:
    """An exclusive kernel lock (flock) serialising stale-lock takeover between processes."""
    fd = os.open(lock.with_name(lock.name + ".guard"), os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _read_lock(lock: Path) -> dict | None:
    try:
        return json.loads(lock.read_text() or "{}")
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError):
        return {}


@contextmanager
def folder_lock(out_dir: Path, *, wait: float = 0.0, poll: float = 0.5) -> Iterator[Path]:
    """Hold ``out_dir/.hotspot.lock`` for the duration; refuse (or wait up to ``wait`` s) if taken.

    The lock file is created atomically (``O_CREAT | O_EXCL``) holding the pid, host and a random
    token. A lock left by a dead process on this host is stale and taken over, under a kernel
    lock (``flock``) so that two runs finding the same stale lock cannot both take it (the one
    that comes second sees the first one's live lock). On exit the lock is removed only if it is
    still ours.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    lock = out_dir / LOCK_NAME
    deadline = time.monotonic() + wait
    me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
          "token": os.urandom(8).hex()}
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            with os.fdopen(fd, "w") as fh:
                json.dump(me, fh)
            break
        except FileExistsError:
            holder = _read_lock(lock) or {}
            if holder.get("host") == me["host"] and holder.get("pid") and not _pid_alive(int(holder["pid"])):
                with _guard(lock):
                    again = _read_lock(lock)
                    if again is not None and again == holder:  # still the same dead holder
                        lock.unlink(missing_ok=True)
                continue
            if time.monotonic() >= deadline:
                raise LockError(
                    f"{out_dir} is locked by another hotspot run (pid {holder.get('pid', '?')} on "
                    f"{holder.get('host', '?')}, started {holder.get('started', '?')}); wait for it to "
                    f"finish (or pass --wait SECONDS), or delete {lock} if that run is no longer alive") from None
            time.sleep(poll)
    try:
        yield lock
    finally:
        with _guard(lock):
            if (_read_lock(lock) or {}).get("token") == me["token"]:
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
