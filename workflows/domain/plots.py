"""SVG renderings of an Evaluation, for MLflow and the Flyte Deck.

Written as plain SVG text rather than through matplotlib: two small charts do
not justify a second of imports on every run, and SVG inlines into the Deck's
HTML as it is. MLflow's artifact viewer shows .svg files as images.
"""

from __future__ import annotations

from html import escape

from workflows.domain.evaluation import Evaluation

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


def confusion_matrix_svg(evaluation: Evaluation) -> str:
    cell = (SIZE - 2 * PAD) / 2
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
                f'font-size="18" fill="{text_colour}">{count}</text>'
            )
    ticks = "".join(
        f'<text x="{PAD + (i + 0.5) * cell}" y="{PAD - 6}" text-anchor="middle">'
        f"{escape(name)}</text>"
        f'<text transform="translate({PAD - 8} {PAD + (i + 0.5) * cell}) rotate(-90)" '
        f'text-anchor="middle">{escape(name)}</text>'
        for i, name in enumerate(label[:12] for label in evaluation.labels)
    )
    body = _axes("Predicted class", "Actual class") + "".join(cells) + ticks
    return _svg("Confusion matrix (threshold 0.5)", body)


def plots(evaluation: Evaluation) -> dict[str, str]:
    """File name -> SVG text."""
    return {
        "roc_curve.svg": roc_curve_svg(evaluation),
        "confusion_matrix.svg": confusion_matrix_svg(evaluation),
    }
