"""Batch scoring as plain functions: the model `@<domain>` points at, over a
table read in chunks, to one Parquet file, with a drift report. No Flyte.

tasks.py wraps it in a Flyte task; `python -m workflows score` runs it locally.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workflows.domain import contract as data_contract
from workflows.domain import data, drift, missing, schema
from workflows.domain.challenge import comparable
from workflows.domain.errors import PipelineError
from workflows.progress import note

if TYPE_CHECKING:
    import pandas as pd

    from workflows.settings import Settings

# Rows read, validated, scored and written at a time: memory stays bounded
# whatever the table's size (100k rows of 30 features: ~25 MB a chunk).
CHUNK_ROWS = 100_000
# Rows of a local table read and checked before the model is loaded: a wrong
# column or an early bad row is refused in a second, not after the model's load.
PRECHECK_ROWS = 1_000
MODEL_NAME = "model_name"
MODEL_VERSION = "model_version"


class ScoringError(PipelineError):
    """There is nothing to score with, or the model cannot score this contract."""


@dataclass
class ScoreResult:
    rows: int
    seconds: float
    model_name: str
    model_version: str
    drift_share: float
    drift_limit: float
    drift_detected: bool
    drifted: list[str] = field(default_factory=list)
    run_id: str = ""  # the MLflow run holding the drift report

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


# (reference, current, contract, limit) -> the report: drift.report's signature.
DriftReporter = Callable[..., drift.DriftResult]


def score(
    settings: Settings,
    source: str,
    output: str,
    chunk_rows: int = CHUNK_ROWS,
    report_drift: DriftReporter = drift.report,
) -> tuple[ScoreResult, str]:
    """Score `source` ("" = the contract's own) with `@<domain>` into `output`.

    Returns the result and the drift report's HTML. The Parquet file appears
    only when every chunk validated and scored: nothing half-written.
    `report_drift`: drift.report, here or in a worker (`drift_worker`).
    """
    from workflows.gateways.registry import Registry

    contract = data_contract.load(settings.contract_path)
    source = table_to_score(settings, source, contract)
    registry = Registry(settings)
    version = registry.alias_target(settings.domain)
    if version is None:
        raise ScoringError(
            f"no model at {settings.model_name}@{settings.domain}: train one first (make run)"
        )
    if not comparable(registry.version_contract(version), contract):
        raise ScoringError(
            f"{settings.model_name} v{version} (@{settings.domain}) was trained on another data "
            f"contract than {settings.contract_path}: it cannot score this table"
        )
    model = registry.load_model(f"models:/{settings.model_name}/{version}")
    reference = registry.reference_sample(version)
    if reference is None:
        raise ScoringError(f"v{version} was logged without a reference sample: retrain it")
    started = time.perf_counter()
    sample = drift.Sample(drift.SAMPLE_ROWS)
    target = Path(output)
    partial = target.with_name(f".{target.name}.partial")
    # Scores, the scoring run and its drift report appear together or not at all:
    # the Parquet file is written under a temporary name and renamed only once the
    # run holding the report is logged.
    try:
        rows = _write(
            partial,
            _scored_chunks(source, contract, settings, model, version, chunk_rows, sample),
        )
        if not rows:
            raise data.no_rows(source)  # a remote table, not read before the model
        seconds = time.perf_counter() - started
        note(
            f"scored {rows} rows with v{version} in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)"
        )
        report = report_drift(reference, sample.rows, contract, settings.drift_limit)
        note(
            f"drift: {report.share:.0%} of features drifted (limit {report.limit:.0%})"
            + (f": {', '.join(report.drifted)}" if report.drifted else "")
        )
        if caveat := drift.few_rows_caveat(rows):
            note(caveat)
        if report.skipped:
            note(f"drift: not computed for {', '.join(report.skipped)} (no values to compare)")
        if report.predictions:
            moved = report.predictions_drifted
            note("answers: " + (f"drifted: {', '.join(moved)}" if moved else "no drift"))
        result = ScoreResult(
            rows, seconds, settings.model_name, version, report.share, report.limit,
            report.detected, report.drifted,
        )  # fmt: skip
        result.run_id = registry.log_scoring_run(
            {
                "rows": rows,
                "rows_per_second": result.rows_per_second,
                "drift_share": report.share,
                "drift_detected": float(report.detected),
                **(
                    {
                        "prediction_drift_share": len(report.predictions_drifted)
                        / len(report.predictions)
                    }
                    if report.predictions
                    else {}
                ),
            },
            {"model_version": version, "domain": settings.domain, "data": source},
            report.html,
            scored=(sample.rows, source),
        )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return result, report.html


def table_to_score(settings: Settings, source: str, contract=None) -> str:
    """`source` ("" = the contract's own) as a path or URI to read. Before anything
    slow is started (the model takes seconds to load), a local file's first
    PRECHECK_ROWS rows are read and checked: DataLoadError when it is not there or
    holds no rows, DataValidationError (as the scoring pass words it) when its
    columns or one of those rows break the contract."""
    contract = contract or data_contract.load(settings.contract_path)
    source = data.resolve_source(source, contract, settings.contract_path)
    first = data.first_rows(source, contract, PRECHECK_ROWS)
    if first is not None:
        _validated(first, 0, source, contract, settings)
    return source


@contextlib.contextmanager
def drift_worker() -> Iterator[DriftReporter]:
    """drift.report, run by a worker process that imports Evidently as soon as it
    starts, while this one imports MLflow and scikit-learn, loads the model and
    scores: on two cores, ~3 s less of a 1,000-row `make score` (on one core, about
    the same time). The worker stops when the block ends."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: this process may already run threads (MLflow's).
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.submit(_import_evidently)  # starts the worker now, not at the report
        yield lambda *args: pool.submit(drift.report, *args).result()


def _import_evidently() -> None:
    import gc

    drift.import_evidently()
    # What it imported lives until the worker exits: never scan it again, nor in
    # the teardown (its collections took ~1.5 s).
    gc.freeze()


def _scored_chunks(source, contract, settings, model, version, chunk_rows, sample):
    """Each chunk validated, scored and cut to the output's columns."""
    import pandas as pd

    seen = 0
    for chunk in data.chunks(source, contract, chunk_rows):
        if not len(chunk):
            continue
        _validated(chunk, seen, source, contract, settings)
        seen += len(chunk)
        features = missing.model_rows(chunk, contract)
        predicted = model.predict(features)
        # Features and answers, for the drift report (answers drift on their own).
        sample.add(pd.concat([features, predicted.set_axis(features.index)], axis=1))
        kept = [c for c in (*contract.ignore, contract.target) if c in chunk.columns]
        out = chunk[kept].reset_index(drop=True)
        for name in predicted.columns:  # the answer's columns (model.answer), per task
            out[name] = predicted[name].to_numpy()
        out[MODEL_NAME] = settings.model_name
        out[MODEL_VERSION] = version
        yield out


def _validated(chunk, seen: int, source: str, contract, settings: Settings) -> None:
    """Check `chunk`, the rows after the first `seen` of `source`; DataValidationError
    naming the columns and the first row at fault (counted in the whole table)."""
    try:
        schema.validate(chunk, contract, settings.contract_path, scoring=True)
    except schema.DataValidationError as err:
        row = schema.first_row_at_fault(chunk, contract, refused=err)
        if row is None:  # the columns are at fault, not a row: the check's own hint
            raise
        where = f"(first at row {seen + row:,} of {source}, counting from 1 under the header)"
        raise schema.DataValidationError(err.problems, where, seen + row) from None


def _write(partial: Path, chunks) -> int:
    """Write the chunks to `partial`, a Parquet file; return the row count (0: none
    written)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    partial.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    rows = 0
    try:
        for frame in chunks:
            table = pa.Table.from_pandas(
                frame, schema=writer.schema if writer else None, preserve_index=False
            )
            if writer is None:
                writer = pq.ParquetWriter(partial, table.schema)
            writer.write_table(table)
            rows += len(frame)
    finally:
        if writer is not None:
            writer.close()
    return rows


def first_rows(path: str, rows: int = 5) -> pd.DataFrame:
    """A peek at a written scores file (CLI and tests)."""
    import pyarrow.parquet as pq

    return next(pq.ParquetFile(path).iter_batches(batch_size=rows)).to_pandas()
