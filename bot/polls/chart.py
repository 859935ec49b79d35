"""The result as a small bar chart (PNG), drawn headless with matplotlib.

matplotlib is imported only here and only when a chart is drawn: the bot starts and idles
without it. `Figure` (not pyplot) keeps no global state, so charts can be drawn in a thread.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

LABEL_WIDTH = 28
BAR_COLOUR = "#2a7ab0"


def bar_chart(*, title: str, labels: Sequence[str], counts: Sequence[int], caption: str) -> bytes:
    from matplotlib.figure import Figure

    rows = len(labels)
    figure = Figure(figsize=(7.0, 1.2 + 0.55 * rows), dpi=110, layout="constrained")
    axes = figure.subplots()
    positions = list(range(rows))
    wrapped = [textwrap.shorten(label, 60, placeholder=" …") for label in labels]
    wrapped = ["\n".join(textwrap.wrap(label, LABEL_WIDTH)) or " " for label in wrapped]
    bars = axes.barh(positions, list(counts), color=BAR_COLOUR)
    axes.set_yticks(positions, wrapped)
    axes.invert_yaxis()  # first option on top, as in the poll
    axes.bar_label(bars, padding=3)
    axes.set_xlim(0, max([*counts, 1]) * 1.15)
    axes.xaxis.set_visible(False)
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    axes.set_title(textwrap.shorten(title, 70, placeholder=" …"), loc="left", fontsize=11)
    figure.supxlabel(caption, fontsize=9, color="#555555")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
