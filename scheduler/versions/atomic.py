"""Atomic file writes: a crash or a failed run never leaves half a file behind.

A write that fails raises the OSError it met (same class and errno) with the file being
written as its `filename`, never the temporary file's name, also where the system named no
file (a full disk fails in `write` or `fsync`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise _naming(error, path) from error
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a normal file is readable
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _naming(error, path) from error
        raise


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    """Write `text` to `path` atomically."""
    write_bytes(path, text.encode(encoding))


def _naming(error: OSError, path: Path) -> OSError:
    """`error` again, with `path` as the file that could not be written."""
    if error.errno is None:
        return error
    named = type(error)(error.errno, error.strerror or os.strerror(error.errno), str(path))
    return named


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
