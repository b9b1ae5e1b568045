"""Serve `@<domain>` in this process and follow the alias when the pipeline moves it.

Every request goes through MLflow's own request handling (`scoring_server.invocations`:
content types, JSON parsing into a DataFrame, the JSON answer), but for a text/csv
body, which is read as `make score` reads a CSV file (data.read_table in the
contract's dialect; MLflow's reader is pandas.read_csv's defaults). The rows then
meet the same code as batch scoring (workflows/steps/scoring.py): the data
contract's validation (`schema.validate_request`), one marker per kind for a
missing value (`missing.model_rows`) and the model the registry loads with our
skops allow-list, so a row gets the same answer and the same refusal both ways.
What this adds around it:

- a version is served only after its downloaded files passed our skops
  allow-list (Registry.download_checked) and it answered its own logged input
  example: the very bytes checked are the ones loaded;
- a poller notices when the alias moves, loads and checks the new version
  beside the old one, then swaps one reference: a request already running
  finishes on the version it started with, so no request fails across a switch;
- each answer names the version that gave it (`model_version` in the body and
  the `MLflow-Model-Version` header);
- a 400 names the columns at fault (`columns` in the body), not the whole schema
  and the request data;
- requests that arrive while the model is busy are answered together
  (workflows/serving/batching.py).

The HTTP side, limits included, is workflows/serving/app.py.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import BAD_REQUEST

from workflows.domain import data, missing, schema
from workflows.domain.request import as_table_cells
from workflows.serving.errors import HostingError

if TYPE_CHECKING:
    from workflows.domain.contract import Contract
    from workflows.gateways.registry import Registry

VERSION_HEADER = "MLflow-Model-Version"
MAX_MESSAGE = 400  # characters of an MLflow error kept in a 400


@dataclass(frozen=True)
class Served:
    version: str
    model: object  # workflows.domain.model.LabelledClassifier, as Registry.load_model gives it
    contract: Contract
    metadata: object = None  # mlflow.models.Model: the MLmodel file (signature, example)
    example: dict | None = field(default=None)  # the request body logged with the model


class Refused(MlflowException):
    """Rows that break the contract; `refusal` names the columns and the first row
    at fault, `columns` lists the columns, `row` is that row (1-based) or None."""

    def __init__(self, err: schema.DataValidationError, row: int | None):
        self.refusal = "; ".join(f"column {c!r}: {p}" for c, p in err.problems) + (
            f" (first at row {row} of the request)" if row else ""
        )
        self.columns = sorted(err.columns)
        self.row = row
        super().__init__(self.refusal, error_code=BAD_REQUEST)


class _ContractModel:
    """What MLflow's `invocations` calls: the contract's checks, then the model."""

    def __init__(self, served: Served):
        self.served = served
        self.metadata = served.metadata

    def predict(self, data, params=None):
        import pandas as pd

        if not isinstance(data, pd.DataFrame):
            raise MlflowException(
                "send rows as dataframe_split or dataframe_records", error_code=BAD_REQUEST
            )
        if not len(data):  # else the model's own error, or every column named missing
            raise MlflowException("the request has no rows", error_code=BAD_REQUEST)
        contract = self.served.contract
        data = as_table_cells(data, contract)  # "" is missing, 4 the code "4", as in a CSV
        try:
            schema.validate_request(data, contract)
        except schema.DataValidationError as err:
            row = schema.first_row_at_fault(data, contract, request=True, refused=err)
            raise Refused(err, row) from None
        return self.served.model.predict(missing.model_rows(data, contract))


def load_version(registry: Registry, version: str) -> Served:
    """Download `version`, check it against the allow-list, load it as batch
    scoring does and check that it answers its own input example."""
    from mlflow.models import Model

    uri = f"models:/{registry.name}/{version}"
    with tempfile.TemporaryDirectory(prefix="serve-") as folder:
        local = registry.download_checked(uri, Path(folder))
        model = registry.load_checked(local)
        metadata = Model.load(str(local))
        example = _example(local)
    served = Served(version, model, registry.version_contract(version), metadata, example)
    if example is not None:
        status, answer = score(served, json.dumps(example).encode(), "application/json")
        if status != 200:
            message = json.dumps(answer)[:MAX_MESSAGE]
            raise HostingError(f"{uri} failed its own input example: {message}")
    return served


def _example(local: Path) -> dict | None:
    path = local / "serving_input_example.json"
    return json.loads(path.read_text()) if path.exists() else None


def score(served: Served, body: bytes, content_type: str) -> tuple[int, dict]:
    """MLflow's own handling of one request; (status, JSON document naming the version)."""
    from mlflow.pyfunc import scoring_server

    try:
        if _media_type(content_type) == scoring_server.CONTENT_TYPE_CSV:
            result = _table_invocations(served, body, content_type)
        else:
            result = scoring_server.invocations(body, content_type, _ContractModel(served), None)
    except Refused as err:
        refused = {"error_code": "BAD_REQUEST", "message": err.refusal, "columns": err.columns}
        return 400, refused | ({"row": err.row} if err.row else {})
    except MlflowException as err:
        message = short_message(err.message)
        return err.get_http_status_code(), {"error_code": err.error_code, "message": message}
    if result.status != 200:
        return result.status, {"message": str(result.response)}
    document = json.loads(result.response)
    document["model_version"] = served.version
    return 200, document


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _table_invocations(served: Served, body: bytes, content_type: str):
    """`invocations` for a text/csv body, read as `make score` reads a CSV file:
    data.read_table in the contract's `table:` dialect (delimiter, decimal mark,
    thousands), with only its missing cells missing and its text columns as
    written. MLflow's reader is pandas.read_csv's defaults (commas, "NA" missing,
    "007" the number 7). The body is in the contract's encoding unless the
    Content-Type names a charset. Then the same checks and model as any request."""
    from mlflow.pyfunc import scoring_server

    contract = served.contract
    _, _, charset = content_type.partition("charset=")
    if charset.strip():
        encoding = charset.split(";", 1)[0].strip().strip('"')
        contract = dataclasses.replace(
            contract, table=dataclasses.replace(contract.table, encoding=encoding)
        )
    try:
        rows = data.read_table(data.CsvText(body), contract)
    except data.DataLoadError as err:
        raise MlflowException(str(err), error_code=BAD_REQUEST) from None
    try:
        predictions = _ContractModel(served).predict(rows)
    except MlflowException:  # a refusal: worded by `score`
        raise
    except Exception as err:  # as `invocations` answers a model that fails: 400, no trace
        raise MlflowException(
            f"the model failed on these rows ({type(err).__name__})", error_code=BAD_REQUEST
        ) from None
    text = io.StringIO()
    scoring_server.predictions_to_json(predictions, text)
    return scoring_server.InvocationsResponse(text.getvalue(), 200, "application/json")


def score_parsed(served: Served, document: dict) -> dict | None:
    """`score`'s document for a request already decoded from JSON (a plain
    `dataframe_split`, see batching.merge_key): MLflow's own parsing from the
    decoded JSON on (`infer_and_parse_data`, as `invocations` does it, minus the
    body's decoding twice), the same checks and model. None where `score` would
    not answer 200: `score` then answers, in MLflow's words."""
    from mlflow.pyfunc import scoring_server

    try:
        frame = scoring_server.infer_and_parse_data(document)
        predictions = _ContractModel(served).predict(frame)
    except Exception:  # a refusal or an error: worded by `score`, request by request
        return None
    text = io.StringIO()
    scoring_server.predictions_to_json(predictions, text)
    answer = json.loads(text.getvalue())  # what `score` returns: the same JSON values
    answer["model_version"] = served.version
    return answer


def short_message(message: str) -> str:
    """MLflow's own words without the data frame and the schema it prints."""
    # "Failed to predict data '<frame>'. \nError: <the reason>"
    reason = re.sub(r"^Failed to predict data '.*?'\. \s*Error: ", "", message, flags=re.S)
    reason = re.sub(r"\nInput: \n.*", "", reason, flags=re.S)  # the request, quoted whole
    return reason if len(reason) <= MAX_MESSAGE else reason[: MAX_MESSAGE - 3] + "..."


def to_json(document: dict) -> bytes:
    from mlflow.utils.proto_json_utils import NumpyEncoder

    return json.dumps(document, cls=NumpyEncoder).encode()


class Host:
    """The version being served, and the poller that swaps it when the alias moves."""

    def __init__(self, registry: Registry, alias: str | None, served: Served, poll_seconds: float):
        """alias None: serve `served` fixed (the cluster's pinned version), never poll."""
        self.registry = registry
        self.alias = alias
        self.served = served  # replaced whole, never mutated: readers need no lock
        self.poll_seconds = poll_seconds
        self.refused: str | None = None  # a version that failed: not retried until the alias moves
        self._stopping = threading.Event()

    def follow(self) -> None:
        """Poll the alias until stop(); each move is loaded, checked, then swapped in."""
        if self.alias is None:
            return
        while not self._stopping.wait(self.poll_seconds):
            self.check_alias()

    def check_alias(self) -> str | None:
        """Swap to the alias's version if it moved; the version now served, or None."""
        try:
            target = self.registry.alias_target(self.alias)
        except Exception as err:  # the registry is down: keep serving what we have
            log(f"could not read @{self.alias}: {err}")
            return None
        if target is None or target in (self.served.version, self.refused):
            return None
        log(f"@{self.alias} moved to v{target}: loading and checking it")
        try:
            served = load_version(self.registry, target)
        except Exception as err:  # never serve it; keep the running version
            self.refused = target
            log(f"v{target} refused, still serving v{self.served.version}: {err}")
            return None
        self.served = served
        self.refused = None
        log(f"now serving v{target}")
        return target

    def stop(self) -> None:
        self._stopping.set()


def log(message: str) -> None:
    print(f"serve: {message}", file=sys.stderr, flush=True)
