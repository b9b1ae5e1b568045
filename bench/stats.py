"""min / median / max of repeated measurements, and how the tables print them."""

from __future__ import annotations

import statistics

LABEL_WIDTH = 34


def summary(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def header() -> str:
    return f"  {'':<{LABEL_WIDTH}} {'min':>7} {'median':>7} {'max':>7}"


def row(name: str, values: dict[str, float]) -> str:
    return (
        f"  {name:<{LABEL_WIDTH}} {values['min']:7.2f} {values['median']:7.2f} {values['max']:7.2f}"
    )
