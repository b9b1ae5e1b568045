"""A new SQLite store starts as a copy of an empty store MLflow already migrated.

MLflow creates a SQLite store by running every one of its Alembic migrations:
~1.1 s on this 2-core machine, a fifth of a whole `make run`, and the same work
for every new store (each clone, each test's store). The first time a machine
needs a new store with this MLflow version, MLflow builds one itself in the
user's cache; it is kept, without its Default experiment, as the template, and
every new store after it is a copy. Opening the copy, MLflow finds its tables
at the head revision (it checks, and refuses a schema it does not know) and
creates the Default experiment itself, with this store's own artifact location.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

DEFAULT_EXPERIMENT_ID = 0  # MLflow's; it makes this row when a store lacks it


def template_path() -> Path:
    """`$XDG_CACHE_HOME/mlflow-store-templates/mlflow-<version>.db` (~/.cache by default):
    one per MLflow version, since each version has its own head revision."""
    from mlflow.version import VERSION

    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "mlflow-store-templates" / f"mlflow-{VERSION}.db"


def seed(database: Path) -> bool:
    """Make `database` a copy of the template, if it does not exist; True when copied.

    The caller holds the store's lock, so no one else creates `database` meanwhile;
    the copy appears whole (renamed into place) or not at all."""
    if database.exists():
        return False
    try:
        template = template_path()
        if not template.exists():
            build(template)
    except (OSError, RuntimeError):  # no home, a read-only cache: MLflow migrates, as without us
        return False
    database.parent.mkdir(parents=True, exist_ok=True)
    partial = database.with_name(f".{database.name}.partial")
    shutil.copyfile(template, partial)
    os.replace(partial, database)
    return True


def build(template: Path) -> None:
    """Have MLflow create and migrate a store, drop its Default experiment, keep it
    as `template`. Two processes building at once each rename a whole file."""
    from mlflow.store.model_registry.sqlalchemy_store import (
        SqlAlchemyStore as RegistryStore,
    )
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as TrackingStore

    template.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=template.parent, prefix=".build-") as folder:
        database = Path(folder) / "store.db"
        uri = f"sqlite:///{database}"
        tracking = TrackingStore(uri, default_artifact_root=Path(folder).as_uri())
        registry = RegistryStore(uri)
        for store in (tracking, registry):
            store.engine.dispose()  # no open connection to the file we move
        with sqlite3.connect(database) as connection:
            connection.execute(
                "DELETE FROM experiments WHERE experiment_id = ?", (DEFAULT_EXPERIMENT_ID,)
            )
        connection.close()
        os.replace(database, template)
