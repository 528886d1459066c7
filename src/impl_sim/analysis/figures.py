"""Small figure helpers shared by the analysis modules (every figure carries a caption)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any


def pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_with_caption(fig: Any, path: str | Path, caption: str, *, width: int = 110,
                      bottom: float = 0.08, fontsize: float = 8, dpi: int = 120) -> Path:
    """Put ``caption`` under the axes (wrapped to ``width`` characters), save as PNG, close."""
    fig.text(0.01, 0.005, "\n".join(textwrap.wrap(caption, width)), fontsize=fontsize,
             va="bottom")
    fig.tight_layout(rect=(0, bottom, 1, 1))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return path
