"""One exception family for the whole engine.

Every message names the file, row, column or argument at fault and says what would fix it.
The CLI maps :class:`InputError` and :class:`ConfigError` to exit code 2 (bad input) and every
other exception to exit code 1 (internal failure).
"""

from __future__ import annotations

from pathlib import Path


class HotspotError(Exception):
    """Base class of every error the engine raises on purpose."""

    exit_code = 1


class InputError(HotspotError, ValueError):
    """An input file or argument is wrong; the user can fix it.

    Parameters
    ----------
    message : str
        What is wrong and how to fix it.
    path : str or Path, optional
        The file at fault.
    row : int, optional
        1-based line number in the file (header is line 1).
    column : str, optional
        Column at fault.
    """

    exit_code = 2

    def __init__(self, message: str, *, path: str | Path | None = None,
                 row: int | None = None, column: str | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.row = row
        self.column = column
        where = []
        if self.path:
            where.append(self.path)
        if row is not None:
            where.append(f"line {row}")
        if column:
            where.append(f"column {column!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ConfigError(InputError):
    """A configuration key or value is wrong (names the key and the fix)."""

    def __init__(self, message: str, *, key: str | None = None, path: str | Path | None = None) -> None:
        self.key = key
        if key:
            message = f"key {key!r}: {message}"
        super().__init__(message, path=path)


class ArgumentError(InputError):
    """A function argument is invalid: names the argument, what it got and what it wants."""

    def __init__(self, name: str, got: object, wants: str) -> None:
        self.name = name
        super().__init__(f"argument {name!r} got {got!r}; it must be {wants}")


class ModelFileError(InputError):
    """A saved model file is missing, tampered with, or not one of ours."""


class LockError(HotspotError):
    """Another run holds the output folder's lock."""

    exit_code = 3
