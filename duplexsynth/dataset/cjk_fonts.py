"""CJK text in the report's plots: use an installed CJK font, degrade gracefully without one.

Matplotlib's bundled DejaVu Sans has no Han glyphs, so a Chinese voice id or word in a plot
would be drawn as empty boxes. :func:`font_families` lists DejaVu Sans followed by the CJK fonts
installed on the machine (Debian/Ubuntu: ``apt-get install fonts-noto-cjk`` or
``fonts-wqy-zenhei``; macOS and Windows ship their own), which Matplotlib (3.6+) uses glyph by
glyph as fallbacks. Without any, :func:`quiet_missing_glyphs` keeps Matplotlib's per-glyph
warnings out of the output and logs one line saying which package to install.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from functools import lru_cache

log = logging.getLogger(__name__)

#: CJK fonts Matplotlib may find, in order of preference (Simplified Chinese first)
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "PingFang SC",
    "Heiti SC",
    "Microsoft YaHei",
    "SimHei",
    "Noto Sans CJK JP",
)
_warned = False


@lru_cache(maxsize=1)
def installed_cjk_fonts() -> tuple[str, ...]:
    """The fonts of :data:`CJK_FONTS` that Matplotlib can find on this machine."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return tuple(name for name in CJK_FONTS if name in names)


def font_families() -> list[str]:
    """``font.family`` for the report: DejaVu Sans, then any installed CJK fonts."""
    return ["DejaVu Sans", *installed_cjk_fonts()]


@contextlib.contextmanager
def quiet_missing_glyphs() -> Iterator[None]:
    """Draw without Matplotlib's "Glyph ... missing from font" warnings when no CJK font is
    installed; log once which package would render CJK text."""
    global _warned
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    missing = [w for w in caught if "missing from font" in str(w.message)]
    for w in caught:
        if w not in missing:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if missing and not _warned:
        _warned = True
        log.warning(
            "no CJK font installed: Chinese text in the report's plots shows as boxes "
            "(install one, e.g. apt-get install fonts-noto-cjk)"
        )
