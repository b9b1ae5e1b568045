"""MLflow tracking and model registry: the only module that imports mlflow.

Models are registered under aliases (`@development`, `@staging`,
`@production`, and `@<domain>-previous`), never the deprecated stages.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from dataclasses import dataclass
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import TYPE_CHECKING

from workflows.domain.errors import PipelineError
from workflows.domain.model import LABEL, output_columns
from workflows.domain.training import TRUSTED_TYPES
from workflows.gateways import locks, store_template

if TYPE_CHECKING:
    import pandas as pd
    from mlflow import MlflowClient

    from workflows.domain.contract import Contract
    from workflows.domain.evaluation import Evaluation
    from workflows.settings import Settings

# Set before mlflow is first imported, which reads them once.
# The model's requirements are explicit; copying the dev lock file in beside them
# would only mislead whoever serves it.
os.environ.setdefault("MLFLOW_LOG_UV_FILES", "false")
# MLflow's INFO lines (table creation, uv detection) bury the pipeline's progress.
os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
# Its per-file download bars (loading the champion, the reference sample) are noise here.
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
# Its warning about pip's version concerns conda.yaml, which nothing here uses.
logging.getLogger("mlflow.utils.environment").setLevel(logging.ERROR)

MODEL_ARTIFACT = "model"
CONTRACT_ARTIFACT = "contract.yaml"  # the data contract the run trained on
REFERENCE_ARTIFACT = "reference/features.parquet"  # a sample of the training rows, for drift
SCORING_EXPERIMENT_SUFFIX = "-scoring"
# The MLflow column type of each contract kind; a feature that may be missing
# is an optional column.
# A date is the raw ISO text the table holds: the model derives its parts.
_COLUMN_TYPES = {
    "numeric": "double",
    "categorical": "string",
    "boolean": "boolean",
    "datetime": "string",
}
# Written out rather than inferred: inference spawns a subprocess that costs
# ~10 s a run, and these are exactly what loading the model needs.
_REQUIREMENTS = ("mlflow", "scikit-learn", "skops", "pandas", "numpy", "scipy")


class UntrustedModelError(PipelineError):
    """A model file holds types outside the code's allow-list; it is not loaded."""


@dataclass(frozen=True)
class LoggedRun:
    run_id: str
    model_uri: str
    digest: str = ""  # the training rows' MLflow dataset digest


@dataclass(frozen=True)
class Datasets:
    """The rows a run trained and was evaluated on, for MLflow's dataset lineage."""

    train: pd.DataFrame
    test: pd.DataFrame
    source: str  # the table's path or URI as given (DATA= or the contract's source)
    target: str


# MLflow infers a dataset's schema value by value (1M rows: 90 s) and digests
# only the first 10k rows (after a pass over every cell): the schema is read from
# this many rows, the digest from every row, the profile counts every row.
SCHEMA_ROWS = 1_000


def _dataset(frame: pd.DataFrame, source: str, name: str, target: str | None = None):
    """An MLflow dataset of `frame`: source, digest (md5 of every row's hash, 8
    hex digits, as MLflow writes digests), schema and profile."""
    import hashlib
    import warnings

    import pandas as pd
    from mlflow.data.pandas_dataset import PandasDataset

    class TableDataset(PandasDataset):
        @property
        def profile(self):
            return {"num_rows": len(frame), "num_elements": int(frame.size)}

        @property
        def schema(self):
            # Describes the table for lineage only (the model's signature comes from
            # the contract), so MLflow's hint about integer columns is noise here.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Hint: Inferred schema contains integer")
                return super().schema

    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    digest = hashlib.md5(hashed.tobytes() + "\0".join(map(str, frame.columns)).encode())
    return TableDataset(
        frame.head(SCHEMA_ROWS), _source(source), targets=target, name=name,
        digest=digest.hexdigest()[:8],
    )  # fmt: skip


def _source(source: str):
    """A path or URI as MLflow's dataset source; builtin:/synthetic: tables as code."""
    import warnings

    from mlflow.data.code_dataset_source import CodeDatasetSource
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.exceptions import MlflowException

    if source.startswith(("builtin:", "synthetic:")) or not source:
        return CodeDatasetSource(tags={"table": source or "unknown"})
    with warnings.catch_warnings():  # "can be interpreted in multiple ways": a local path
        warnings.simplefilter("ignore", UserWarning)
        try:
            return resolve_dataset_source(source)
        except MlflowException:
            return CodeDatasetSource(tags={"table": source})


def _table_name(source: str) -> str:
    return Path(source.split("?", 1)[0].rstrip("/")).name or source or "table"


@dataclass(frozen=True)
class AliasState:
    """Where an alias and its `-previous` twin pointed."""

    alias: str
    current: str | None
    previous: str | None


def pip_requirements() -> list[str]:
    return [f"{name}=={installed_version(name)}" for name in _REQUIREMENTS]


def signature(contract: Contract):
    """The model's MLflow signature: the contract's features in, the answer's
    columns out (model.output_columns: label and probabilities, or prediction)."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    inputs = Schema(
        [ColSpec(_COLUMN_TYPES[f.kind], f.name, required=not f.missing) for f in contract.features]
    )
    label = contract.labels[-1] if contract.labels else None
    label_type = {bool: "boolean", int: "long", float: "double"}.get(type(label))
    outputs = Schema(
        [
            ColSpec((label_type or "string") if name == LABEL else "double", name)
            for name in output_columns(contract.task, contract.labels)
        ]
    )
    return ModelSignature(inputs=inputs, outputs=outputs)


def _model_code(root: Path) -> str:
    """The package skeleton that lets a scoring server import the model's class
    without this project installed (logged with the model as MLflow code_paths)."""
    import workflows.domain.model as source

    package = root / "workflows"
    (package / "domain").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "domain" / "__init__.py").write_text("")
    (package / "domain" / "model.py").write_text(Path(source.__file__).read_text())
    return str(package)


def previous_alias(alias: str) -> str:
    return f"{alias}-previous"


class Registry:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.name = settings.model_name

    @functools.cached_property
    def client(self) -> MlflowClient:
        import_model_format()  # before mlflow: see there
        import mlflow

        mlflow.set_tracking_uri(self.settings.tracking_uri)
        mlflow.set_registry_uri(self.settings.tracking_uri)
        database = locks.sqlite_database(self.settings.tracking_uri)
        if database is None:
            return mlflow.MlflowClient()
        # MLflow creates and migrates a SQLite store when a client first opens it,
        # unguarded: runs starting together on a new .mlflow/ race through the
        # migrations and fail. One at a time, each opens both stores (tracking and
        # registry, then cached per process); whoever comes later finds them complete.
        # A new store is a copy of one already migrated (gateways/store_template.py).
        with self.lock("store"):
            store_template.seed(database)
            client = mlflow.MlflowClient()
            client.search_experiments(max_results=1)
            client.search_registered_models(max_results=1)
        return client

    def lock(self, *names: str):
        """A lock this machine's runs against the same store take turns on."""
        return locks.held(locks.lock_file(self.settings.tracking_uri, *names))

    def _experiment_id(self, suffix: str = "") -> str:
        """The experiment `<experiment><suffix>`, created on first use (a SQLite
        store's artifacts of a suffixed one go to a folder of their own)."""
        name = self.settings.experiment + suffix
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        root = self.settings.artifact_root
        if root is not None and suffix:
            root = f"{root.rstrip('/')}/{name}"
        return self.client.create_experiment(name, artifact_location=root)

    def log_training_run(
        self,
        model,
        contract: Contract,
        example: pd.DataFrame,
        params: dict,
        evaluation: Evaluation,
        images: dict[str, str],
        tags: dict[str, str],
        reference: pd.DataFrame | None = None,
        datasets: Datasets | None = None,
    ) -> LoggedRun:
        """One MLflow run: params, metrics, the plots, the contract and the model (skops).

        `reference` (a bounded sample of the training features) is what batch
        scoring compares new data with.

        The model's signature comes from `contract`; `example` (a few real rows
        of its input columns) is logged as its input example, which `make serve`
        shows as a ready request.
        """
        import mlflow
        import mlflow.sklearn

        from workflows.domain.contract import dump

        self.client  # noqa: B018 - sets the tracking URI before the fluent API is used
        with (
            mlflow.start_run(experiment_id=self._experiment_id(), tags=tags) as run,
            tempfile.TemporaryDirectory() as folder,
        ):
            mlflow.log_params(params)
            mlflow.log_metrics(evaluation.metrics())
            digest = ""
            if datasets is not None:  # lineage: which rows made this model
                name = _table_name(datasets.source)
                for frame, context in ((datasets.train, "training"), (datasets.test, "evaluation")):
                    dataset = _dataset(frame, datasets.source, name, datasets.target)
                    mlflow.log_input(dataset, context=context)
                    digest = digest or dataset.digest
            for name, svg in images.items():
                (Path(folder) / name).write_text(svg)
            mlflow.log_artifacts(folder, artifact_path="plots")
            mlflow.log_text(dump(contract), CONTRACT_ARTIFACT)
            if reference is not None:
                path = Path(folder) / Path(REFERENCE_ARTIFACT).name
                reference.to_parquet(path, index=False)
                mlflow.log_artifact(str(path), Path(REFERENCE_ARTIFACT).parent.as_posix())
            info = mlflow.sklearn.log_model(
                model,
                name=MODEL_ARTIFACT,
                serialization_format="skops",
                skops_trusted_types=list(TRUSTED_TYPES),
                pip_requirements=pip_requirements(),
                signature=signature(contract),
                input_example=example,
                code_paths=[_model_code(Path(folder) / "code")],
            )
        return LoggedRun(run.info.run_id, info.model_uri, digest)

    def find_version(self, tag: str, value: str) -> str | None:
        """The newest version of this model whose tag `tag` equals `value`."""
        from workflows.domain.names import mlflow_filter_string as quoted

        found = self.client.search_model_versions(
            f"name = {quoted(self.name)} and tags.`{tag}` = {quoted(value)}"
        )
        return str(max(int(v.version) for v in found)) if found else None

    def register(self, logged: LoggedRun, tags: dict[str, str]) -> str:
        import mlflow

        self.client  # noqa: B018 - sets the registry URI for the fluent call below
        version = mlflow.register_model(logged.model_uri, self.name, tags=tags)
        return str(version.version)

    def tag_version(self, version: str, tags: dict[str, str]) -> None:
        for key, value in tags.items():
            self.client.set_model_version_tag(self.name, version, key, value)

    def log_metrics(self, run_id: str, metrics: dict[str, float]) -> None:
        for key, value in metrics.items():
            self.client.log_metric(run_id, key, value)

    def tag_run(self, run_id: str, tags: dict[str, str]) -> None:
        for key, value in tags.items():
            self.client.set_tag(run_id, key, value)

    def version_contract(self, version: str) -> Contract:
        """The data contract the version's run trained on (its contract.yaml)."""
        import mlflow
        import yaml

        from workflows.domain.contract import from_dict

        run_id = self.client.get_model_version(self.name, version).run_id
        self.client  # noqa: B018 - sets the tracking URI for the download
        text = mlflow.artifacts.load_text(f"runs:/{run_id}/{CONTRACT_ARTIFACT}")
        return from_dict(yaml.safe_load(text))

    def reference_sample(self, version: str) -> pd.DataFrame | None:
        """The training sample logged with the version, or None (logged before drift
        reports existed)."""
        import pandas as pd

        run_id = self.client.get_model_version(self.name, version).run_id
        return self._read_artifact(f"runs:/{run_id}/{REFERENCE_ARTIFACT}", pd.read_parquet)

    def log_scoring_run(
        self,
        metrics: dict[str, float],
        tags: dict[str, str],
        report_html: str,
        scored: tuple[pd.DataFrame, str] | None = None,
    ) -> str:
        """One run in `<experiment>-scoring`: throughput, drift share, the drift report.

        `scored`: (a sample of the scored rows, the table's path or URI), logged
        as the run's input dataset (context "scoring")."""
        import mlflow

        self.client  # noqa: B018 - sets the tracking URI before the fluent API is used
        experiment = self._experiment_id(SCORING_EXPERIMENT_SUFFIX)
        with mlflow.start_run(experiment_id=experiment, tags=tags) as run:
            mlflow.log_metrics(metrics)
            if scored is not None:
                frame, source = scored
                mlflow.log_input(_dataset(frame, source, _table_name(source)), context="scoring")
            if report_html:
                mlflow.log_text(report_html, "drift/report.html")
        return run.info.run_id

    def version_tags(self, version: str) -> dict[str, str]:
        return dict(self.client.get_model_version(self.name, version).tags)

    def alias_target(self, alias: str) -> str | None:
        from mlflow.exceptions import MlflowException

        try:
            return str(self.client.get_model_version_by_alias(self.name, alias).version)
        except MlflowException as err:
            if err.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                return None
            raise

    def alias_state(self, alias: str) -> AliasState:
        return AliasState(alias, self.alias_target(alias), self.alias_target(previous_alias(alias)))

    def move_alias(self, alias: str, version: str) -> AliasState:
        """Point `alias` at `version`, keeping its old target as `<alias>-previous`.

        Returns the state before the move. Moving an alias onto the version it
        already has changes nothing. Runs on this machine moving the same alias
        take turns, so `-previous` is always the version the alias left.
        """
        with self.lock("alias", self.name, alias):
            before = self.alias_state(alias)
            if before.current == version:
                return before
            if before.current is not None:
                self.client.set_registered_model_alias(
                    self.name, previous_alias(alias), before.current
                )
            self.client.set_registered_model_alias(self.name, alias, version)
        return before

    def serving_example(self, model_uri: str) -> dict | None:
        """The request body MLflow logged from the input example, or None."""
        import json

        return self._read_artifact(
            f"{model_uri}/serving_input_example.json", lambda path: json.loads(path.read_text())
        )

    def _read_artifact(self, uri: str, read):
        """`read(local path)` of the artifact at `uri`, or None when there is none."""
        import mlflow
        from mlflow.exceptions import MlflowException

        self.client  # noqa: B018 - sets the tracking URI for the download
        with tempfile.TemporaryDirectory() as folder:
            try:
                path = mlflow.artifacts.download_artifacts(uri, dst_path=folder)
            except (MlflowException, OSError):
                return None
            return read(Path(path))

    def load_model(self, model_uri: str):
        """Load a scikit-learn model saved with skops, trusting only TRUSTED_TYPES.

        The allow-list comes from our code, not from the model's own MLmodel
        file, so a tampered model cannot widen what it is allowed to load.
        """
        with tempfile.TemporaryDirectory() as folder:
            return self.load_checked(self.download_checked(model_uri, Path(folder)))

    @staticmethod
    def load_checked(local: Path):
        """The model in `local`, a folder `download_checked` gave: skops loads it
        with exactly TRUSTED_TYPES."""
        import skops.io

        return skops.io.load(skops_file(local), trusted=list(TRUSTED_TYPES))

    def download_checked(self, model_uri: str, folder: Path) -> Path:
        """Download the model into `folder` and check that copy against TRUSTED_TYPES.

        Returns the local model directory: whoever loads it next loads exactly
        the bytes that were checked. Raises UntrustedModelError otherwise.
        """
        import mlflow
        import skops.io

        self.client  # noqa: B018 - sets the tracking URI for the download
        local = Path(mlflow.artifacts.download_artifacts(model_uri, dst_path=str(folder)))
        path = skops_file(local, model_uri)
        untrusted = set(skops.io.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
        if untrusted:
            raise UntrustedModelError(
                f"{model_uri}: holds types outside the allow-list: {sorted(untrusted)}"
            )
        return local


def import_model_format() -> None:
    """Import skops, the format every model here is saved in, in a process that
    has not imported MLflow yet: every use of the registry saves or loads one.

    At import, skops lists the types it trusts and looks each scipy ufunc up in
    every module loaded so far (a ufunc has no `__module__`); after MLflow's ~1,000
    modules, that search costs more. Measured in 5 paired runs: importing both,
    CPU median 4.0 s (MLflow first) -> 3.2 s; a whole 1,000-row `make score`,
    8 pairs, 0.94x CPU and 0.96x wall.
    """
    import skops.io  # noqa: F401


def skops_file(local: Path, model_uri: str = "") -> Path:
    """The skops file of a downloaded sklearn model; refuses any other format."""
    import yaml

    flavor = yaml.safe_load((local / "MLmodel").read_text())["flavors"].get("sklearn", {})
    if flavor.get("serialization_format") != "skops":
        raise UntrustedModelError(
            f"{model_uri or local}: not saved with skops "
            f"({flavor.get('serialization_format')!r}); refusing to unpickle it"
        )
    return local / flavor["pickled_model"]
