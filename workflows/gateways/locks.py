"""Local file locks: what runs on one machine must do one at a time.

Runs into one domain are serialized in the cluster (Argo mutex, GitHub
concurrency group), but not on a laptop, where two `make run`s at once are
normal. These locks cover that case; a lock is released when its holder ends,
even by SIGKILL (flock), so a crashed run never blocks the next.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

SQLITE_PREFIX = "sqlite:///"


def sqlite_database(tracking_uri: str) -> Path | None:
    """The database file of a SQLite store; None for any other store."""
    if not tracking_uri.startswith(SQLITE_PREFIX):
        return None
    return Path(tracking_uri.removeprefix(SQLITE_PREFIX))


def lock_dir(tracking_uri: str) -> Path:
    """Beside a SQLite store (so a copied or removed .mlflow/ takes its locks with it),
    else one folder per tracking server under the system's temp directory."""
    database = sqlite_database(tracking_uri)
    if database is not None:
        return database.parent / "locks"
    server = hashlib.sha256(tracking_uri.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "mlflow-locks" / server


def lock_file(tracking_uri: str, *names: str) -> Path:
    # Hashed: model names may hold characters no file name should.
    key = hashlib.sha256("\0".join(names).encode()).hexdigest()[:24]
    return lock_dir(tracking_uri) / f"{names[0]}-{key}.lock"


@contextlib.contextmanager
def held(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
