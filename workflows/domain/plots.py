"""SVG renderings of an evaluation, for MLflow and the Flyte Deck: binary ROC
curve and confusion matrix; multiclass confusion matrix and one ROC curve per
class; regression predicted against actual, and residuals.

Written as plain SVG text rather than through matplotlib: two small charts do
not justify a second of imports on every run, and SVG inlines into the Deck's
HTML as it is. MLflow's artifact viewer shows .svg files as images.
"""

from __future__ import annotations

from html import escape

from workflows.domain.evaluation import Evaluation, MulticlassEvaluation, RegressionEvaluation

SIZE = 320  # px, square canvas
PAD = 48  # room for axis labels


def _svg(title: str, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
        f'viewBox="0 0 {SIZE} {SIZE}" font-family="sans-serif" font-size="12">'
        f'<rect width="{SIZE}" height="{SIZE}" fill="white"/>'
        f'<text x="{SIZE / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>'
        f"{body}</svg>\n"
    )


def _axes(x_label: str, y_label: str) -> str:
    low, high = PAD, SIZE - PAD
    return (
        f'<rect x="{low}" y="{low}" width="{high - low}" height="{high - low}" '
        f'fill="none" stroke="black"/>'
        f'<text x="{SIZE / 2}" y="{SIZE - 12}" text-anchor="middle">{escape(x_label)}</text>'
        f'<text transform="translate(14 {SIZE / 2}) rotate(-90)" text-anchor="middle">'
        f"{escape(y_label)}</text>"
    )


def _point(x: float, y: float) -> str:
    """Unit square -> plot area; y grows upwards."""
    span = SIZE - 2 * PAD
    return f"{PAD + x * span:.1f},{SIZE - PAD - y * span:.1f}"


def roc_curve_svg(evaluation: Evaluation) -> str:
    curve = " ".join(_point(x, y) for x, y in zip(evaluation.fpr, evaluation.tpr, strict=True))
    chance = f"{_point(0, 0)} {_point(1, 1)}"
    body = (
        _axes("False positive rate", "True positive rate")
        + f'<polyline points="{chance}" fill="none" stroke="grey" stroke-dasharray="4 4"/>'
        + f'<polyline points="{curve}" fill="none" stroke="#1f77b4" stroke-width="2"/>'
        + f'<text x="{SIZE - PAD - 6}" y="{SIZE - PAD - 8}" text-anchor="end">'
        + f"AUC = {evaluation.roc_auc:.4f}</text>"
    )
    return _svg("ROC curve", body)


def confusion_matrix_svg(evaluation: Evaluation | MulticlassEvaluation) -> str:
    cell = (SIZE - 2 * PAD) / len(evaluation.confusion)
    largest = max(max(row) for row in evaluation.confusion) or 1
    cells = []
    for row, counts in enumerate(evaluation.confusion):
        for col, count in enumerate(counts):
            x, y = PAD + col * cell, PAD + row * cell
            shade = 0.15 + 0.75 * count / largest
            text_colour = "white" if shade > 0.55 else "black"
            cells.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" '
                f'fill="#1f77b4" fill-opacity="{shade:.2f}" stroke="white"/>'
                f'<text x="{x + cell / 2}" y="{y + cell / 2 + 6}" text-anchor="middle" '
                f'font-size="{18 if cell > 40 else 10}" fill="{text_colour}">{count}</text>'
            )
    ticks = "".join(
        f'<text x="{PAD + (i + 0.5) * cell}" y="{PAD - 6}" text-anchor="middle">'
        f"{escape(name)}</text>"
        f'<text transform="translate({PAD - 8} {PAD + (i + 0.5) * cell}) rotate(-90)" '
        f'text-anchor="middle">{escape(name)}</text>'
        for i, name in enumerate(label[:12] for label in evaluation.labels)
    )
    body = _axes("Predicted class", "Actual class") + "".join(cells) + ticks
    binary = len(evaluation.confusion) == 2 and isinstance(evaluation, Evaluation)
    return _svg("Confusion matrix" + (" (threshold 0.5)" if binary else ""), body)


_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def class_roc_curves_svg(evaluation: MulticlassEvaluation) -> str:
    """One one-vs-rest ROC curve per label (the first seven named)."""
    lines, names = [], []
    for i, (label, (fpr, tpr)) in enumerate(evaluation.curves.items()):
        colour = _COLOURS[i % len(_COLOURS)]
        curve = " ".join(_point(x, y) for x, y in zip(fpr, tpr, strict=True))
        lines.append(f'<polyline points="{curve}" fill="none" stroke="{colour}"/>')
        if i < len(_COLOURS):
            y = SIZE - PAD - 8 - 14 * i
            names.append(
                f'<text x="{SIZE - PAD - 6}" y="{y}" text-anchor="end" fill="{colour}">'
                f"{escape(label[:20])}</text>"
            )
    chance = f"{_point(0, 0)} {_point(1, 1)}"
    body = (
        _axes("False positive rate", "True positive rate")
        + f'<polyline points="{chance}" fill="none" stroke="grey" stroke-dasharray="4 4"/>'
        + "".join(lines + names)
    )
    return _svg(f"ROC per class (macro AUC {evaluation.macro_roc_auc:.4f})", body)


def _scatter(xs: list[float], ys: list[float], low: float, high: float, y_low: float,
             y_high: float) -> str:  # fmt: skip
    span, y_span = (high - low) or 1.0, (y_high - y_low) or 1.0
    return "".join(
        f'<circle cx="{_point((x - low) / span, 0).split(",")[0]}" '
        f'cy="{_point(0, (y - y_low) / y_span).split(",")[1]}" r="2" fill="#1f77b4" '
        'fill-opacity="0.5"/>'
        for x, y in zip(xs[:2000], ys[:2000], strict=True)
    )


def predicted_vs_actual_svg(evaluation: RegressionEvaluation) -> str:
    values = evaluation.actual + evaluation.predicted
    low, high = min(values), max(values)
    body = (
        _axes("Actual", "Predicted")
        + f'<polyline points="{_point(0, 0)} {_point(1, 1)}" fill="none" stroke="grey" '
        'stroke-dasharray="4 4"/>'
        + _scatter(evaluation.actual, evaluation.predicted, low, high, low, high)
    )
    return _svg(f"Predicted vs actual (R² {evaluation.r2:.3f})", body)


def residuals_svg(evaluation: RegressionEvaluation) -> str:
    residuals = [p - a for a, p in zip(evaluation.actual, evaluation.predicted, strict=True)]
    low, high = min(evaluation.predicted), max(evaluation.predicted)
    extent = max(abs(r) for r in residuals) or 1.0
    zero = _point(0, 0.5).split(",")[1]
    body = (
        _axes("Predicted", "Residual (predicted - actual)")
        + f'<line x1="{PAD}" x2="{SIZE - PAD}" y1="{zero}" y2="{zero}" stroke="grey" '
        'stroke-dasharray="4 4"/>'
        + _scatter(evaluation.predicted, residuals, low, high, -extent, extent)
    )
    return _svg(f"Residuals (RMSE {evaluation.rmse:.4g})", body)


def plots(evaluation) -> dict[str, str]:
    """File name -> SVG text, for the evaluation's task."""
    if isinstance(evaluation, RegressionEvaluation):
        return {
            "predicted_vs_actual.svg": predicted_vs_actual_svg(evaluation),
            "residuals.svg": residuals_svg(evaluation),
        }
    if isinstance(evaluation, MulticlassEvaluation):
        return {
            "confusion_matrix.svg": confusion_matrix_svg(evaluation),
            "roc_curves.svg": class_roc_curves_svg(evaluation),
        }
    return {
        "roc_curve.svg": roc_curve_svg(evaluation),
        "confusion_matrix.svg": confusion_matrix_svg(evaluation),
    }
