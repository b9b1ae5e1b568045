"""Deployers: before an alias moves, prove the version it is to point at answers.

`InProcessDeployer` loads the version (models:/<name>/<version>) in this
process; `HttpDeployer` asks a served endpoint (`mlflow models serve`, or the
cluster's `model-<domain>` Service) for predictions.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

from workflows.domain.errors import PipelineError
from workflows.domain.model import check_scores

if TYPE_CHECKING:
    import pandas as pd

    from workflows.gateways.registry import Registry


class SmokeCheckError(PipelineError):
    """The deployed model did not give the expected predictions."""


# Served and in-process probabilities differ only by float rounding in transit.
TOLERANCE = 1e-6


def compare(source: str, got: list[float], expected: list[float]) -> None:
    """Raise SmokeCheckError unless `got` matches `expected` (P(positive) per row)."""
    close = len(got) == len(expected) and all(
        abs(g - e) <= TOLERANCE for g, e in zip(got, expected, strict=True)
    )
    if not close:
        shown = ", ".join(f"{g:.4f}" for g in got[:5])
        wanted = ", ".join(f"{e:.4f}" for e in expected[:5])
        raise SmokeCheckError(
            f"smoke check failed at {source}: answered {shown} ..., expected {wanted} ..."
        )


class InProcessDeployer:
    def __init__(self, registry: Registry):
        self.registry = registry

    def check(self, model_uri: str, rows: pd.DataFrame, expected: list[float]) -> str:
        """`rows`: the model's input columns; `expected`: model.check_scores per row."""
        model = self.registry.load_model(model_uri)
        compare(model_uri, model.check_scores(rows), expected)
        return f"in-process ({model_uri})"


def invocations_payload(features: pd.DataFrame) -> bytes:
    """MLflow's `dataframe_split` request body; missing values as JSON null."""
    split = json.loads(features.reset_index(drop=True).to_json(orient="split", index=False))
    return json.dumps({"dataframe_split": split}).encode()


class HttpDeployer:
    def __init__(self, url: str, timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def check(self, model_uri: str, rows: pd.DataFrame, expected: list[float]) -> str:
        request = urllib.request.Request(
            f"{self.url}/invocations",
            data=invocations_payload(rows),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = json.load(response)
        except (urllib.error.URLError, TimeoutError, ValueError) as err:
            raise SmokeCheckError(f"smoke check failed at {self.url}: {err}") from None
        import pandas as pd

        answered = pd.DataFrame(body["predictions"])
        compare(self.url, check_scores(answered), expected)
        return f"served ({self.url})"
