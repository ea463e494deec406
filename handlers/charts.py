"""Chart images for the .docx reports: PNG bar charts drawn with matplotlib (Agg, no display).

Chinese labels need a CJK font: WenQuanYi Micro Hei when installed (`make browser` installs
fonts-wqy-microhei), else any CJK font matplotlib finds; without one the labels fall back to their
English names. Without matplotlib at all there is no chart (None) and the report says so.
"""
from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
COLOURS = ["#1565c0", "#f9a825", "#c62828", "#2e7d32", "#6a1b9a", "#00838f"]


@lru_cache(maxsize=1)
def cjk_font():
    """A matplotlib FontProperties for Chinese text, or None when no CJK font is installed."""
    try:
        from matplotlib import font_manager
    except ImportError:
        return None
    for path in FONT_FILES:
        if Path(path).is_file():
            return font_manager.FontProperties(fname=path)
    for entry in font_manager.fontManager.ttflist:
        if any(key in entry.name for key in ("WenQuanYi", "Noto Sans CJK", "Source Han", "SimHei", "Microsoft YaHei")):
            return font_manager.FontProperties(fname=entry.fname)
    return None


def bar_chart(labels: list, series: dict, *, title: tuple[str, str], stacked: bool = False,
              fallback: dict | None = None, width_in: float = 6.4, height_in: float = 3.2) -> bytes | None:
    """A bar chart as PNG bytes. Texts are Chinese; `fallback` maps them to English when no CJK font
    exists (title is (Chinese, English)). None when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        return None
    font = cjk_font()
    fallback = fallback or {}

    def text(value):
        value = str(value)
        return value if font is not None or value.isascii() else fallback.get(value, value.encode("ascii", "replace")
                                                                               .decode())
    figure = Figure(figsize=(width_in, height_in), dpi=150)
    axes = figure.subplots()
    positions = list(range(len(labels)))
    count = max(1, len(series))
    bottom = [0] * len(labels)
    for index, (name, values) in enumerate(series.items()):
        values = [v or 0 for v in values]
        if stacked:
            axes.bar(positions, values, 0.6, bottom=bottom, label=text(name), color=COLOURS[index % len(COLOURS)])
            bottom = [b + v for b, v in zip(bottom, values)]
        else:
            step = 0.8 / count
            axes.bar([p - 0.4 + step * (index + 0.5) for p in positions], values, step, label=text(name),
                     color=COLOURS[index % len(COLOURS)])
    axes.set_xticks(positions)
    axes.set_xticklabels([text(label) for label in labels], fontproperties=font, fontsize=8,
                         rotation=30 if len(labels) > 6 else 0)
    axes.set_title(title[0] if font is not None else title[1], fontproperties=font, fontsize=11)
    axes.yaxis.get_major_locator().set_params(integer=True)
    if series:
        axes.legend(prop=_sized(font, 8) if font is not None else {"size": 8})
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _sized(font, size):
    copy = font.copy()
    copy.set_size(size)
    return copy
