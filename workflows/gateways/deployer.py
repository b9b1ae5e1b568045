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
from workflows.domain.training import features_and_target

if TYPE_CHECKING:
    import pandas as pd

    from workflows.gateways.registry import Registry


class SmokeCheckError(PipelineError):
    """The deployed model did not give the expected predictions."""


def compare(source: str, got: list[int], expected: list[int]) -> None:
    if got != expected:
        raise SmokeCheckError(
            f"smoke check failed at {source}: predicted {got[:10]}, expected {expected[:10]}"
        )


class InProcessDeployer:
    def __init__(self, registry: Registry):
        self.registry = registry

    def check(self, model_uri: str, rows: pd.DataFrame, expected: list[int]) -> str:
        model = self.registry.load_model(model_uri)
        features, _ = features_and_target(rows)
        compare(model_uri, [int(p) for p in model.predict(features)], expected)
        return f"in-process ({model_uri})"


def invocations_payload(features: pd.DataFrame) -> bytes:
    return json.dumps({"dataframe_split": features.to_dict(orient="split")}).encode()


class HttpDeployer:
    def __init__(self, url: str, timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def check(self, model_uri: str, rows: pd.DataFrame, expected: list[int]) -> str:
        features, _ = features_and_target(rows)
        features = features.reset_index(drop=True)
        request = urllib.request.Request(
            f"{self.url}/invocations",
            data=invocations_payload(features),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = json.load(response)
        except (urllib.error.URLError, TimeoutError, ValueError) as err:
            raise SmokeCheckError(f"smoke check failed at {self.url}: {err}") from None
        compare(self.url, [int(p) for p in body["predictions"]], expected)
        return f"served ({self.url})"
