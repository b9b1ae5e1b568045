"""A new SQLite store is a copy of an empty one MLflow migrated, held against a
store MLflow creates itself."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from workflows.gateways import store_template
from workflows.gateways.registry import Registry
from workflows.settings import Settings


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


def _open(database: Path):
    """A client on `database` the way every run opens its store."""
    settings = Settings(
        tracking_uri=f"sqlite:///{database}",
        artifact_root=(database.parent / "artifacts").as_uri(),
    )
    client = Registry(settings).client
    client.search_experiments()
    return client


def _schema(database: Path) -> tuple:
    """Tables with their columns (name, type, not null, key) and indexes, and the
    Alembic revision. Not the CREATE text: MLflow's own batch migrations write
    constraints in a different order from one store to the next."""
    with sqlite3.connect(database) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        shape = {
            table: (
                sorted(
                    (c[1], c[2], c[3], c[5])
                    for c in connection.execute(f'PRAGMA table_info("{table}")')
                ),
                sorted(i[1] for i in connection.execute(f'PRAGMA index_list("{table}")')),
            )
            for table in tables
        }
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        return shape, revision


def _default_experiment(database: Path) -> tuple:
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT name, artifact_location, lifecycle_stage FROM experiments"
            " WHERE experiment_id = 0"
        ).fetchone()


def test_a_seeded_store_is_the_store_mlflow_would_have_made(cache, tmp_path):
    import mlflow

    native = tmp_path / "native" / "mlflow.db"
    native.parent.mkdir()
    mlflow.MlflowClient(f"sqlite:///{native}").search_experiments()  # MLflow alone, migrations
    seeded = tmp_path / "seeded" / "mlflow.db"
    _open(seeded)

    assert store_template.template_path().is_relative_to(cache)
    assert store_template.template_path().exists()
    assert _schema(seeded) == _schema(native)
    # The Default experiment is MLflow's own, made for this store, not the template's.
    assert _default_experiment(seeded) == _default_experiment(native)
    assert _default_experiment(seeded)[0] == "Default"


def test_a_new_store_after_the_first_runs_no_migration(cache, tmp_path, monkeypatch):
    import mlflow.store.db.utils as db_utils

    _open(tmp_path / "first" / "mlflow.db")  # builds the template

    def no_migrations(engine):
        raise AssertionError("MLflow migrated a store that should have been a copy")

    monkeypatch.setattr(db_utils, "_initialize_tables", no_migrations)
    client = _open(tmp_path / "second" / "mlflow.db")
    client.create_registered_model("m")
    assert [m.name for m in client.search_registered_models()] == ["m"]


def test_an_existing_store_is_never_replaced(cache, tmp_path):
    database = tmp_path / "mlflow.db"
    database.write_bytes(b"someone's store")
    assert store_template.seed(database) is False
    assert database.read_bytes() == b"someone's store"
    assert not list(tmp_path.glob(".*partial"))


def test_without_a_writable_cache_mlflow_creates_the_store_itself(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # the cache folder cannot be made under a file
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    database = tmp_path / "store" / "mlflow.db"
    assert store_template.seed(database) is False
    _open(database).create_registered_model("m")
    assert _default_experiment(database)[0] == "Default"
