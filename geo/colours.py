"""Class colours: one colour-blind-safe hue per supergroup, shades of it for its groups.

The supergroup palette is Okabe & Ito (2008), chosen to stay distinguishable under the common
colour-vision deficiencies; black is replaced by a mid grey so boundaries stay visible. Groups
and subgroups get lighter and darker shades of their supergroup's colour, so a map at any tier
reads as the same families.
"""

from __future__ import annotations

import colorsys

import pandas as pd

from geo._checks import require_columns

OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"]
# past eight supergroups the hues repeat in darker tones
_EXTRA = ["#8C5E00", "#2B7FB0", "#00664A", "#A89F00", "#004A75", "#8F3F00", "#944E7A", "#5E5E5E"]


def palette(n: int) -> list[str]:
    """``n`` distinct supergroup colours (hex), Okabe–Ito first."""
    if n < 0:
        raise ValueError("n must not be negative")
    base = OKABE_ITO + _EXTRA
    return [base[i % len(base)] for i in range(n)]


def shade(hex_colour: str, position: int, count: int) -> str:
    """The ``position``-th of ``count`` shades of ``hex_colour``, light to dark around it."""
    if not (hex_colour.startswith("#") and len(hex_colour) == 7):
        raise ValueError(f"not a #rrggbb colour: {hex_colour!r}")
    if count <= 1:
        return hex_colour.upper()
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    h, lum, s = colorsys.rgb_to_hls(r, g, b)
    # spread lightness over ±0.22 around the parent's, kept inside a readable range
    offset = 0.22 * (1 - 2 * position / (count - 1))
    lum2 = min(0.85, max(0.18, lum + offset))
    r2, g2, b2 = colorsys.hls_to_rgb(h, lum2, s)
    return "#{:02X}{:02X}{:02X}".format(*(round(x * 255) for x in (r2, g2, b2)))


def class_colours(classes: pd.DataFrame) -> dict[str, str]:
    """Colour for every class of a classification.

    Parameters
    ----------
    classes : DataFrame
        ``code, tier, parent_code, sort`` (``sort`` optional); roots have no parent.

    Returns
    -------
    dict
        Code → ``#RRGGBB``. Roots take the palette in sort order; children take shades of
        their parent's colour in sort order.
    """
    require_columns(classes, ["code", "parent_code"], "classes")
    frame = classes.copy()
    if "sort" not in frame.columns:
        frame["sort"] = range(len(frame))
    frame = frame.sort_values(["sort", "code"])
    roots = frame[frame["parent_code"].isna()]["code"].tolist()
    colours = dict(zip(roots, palette(len(roots)), strict=True))
    pending = frame[frame["parent_code"].notna()]
    while not pending.empty:
        ready = pending[pending["parent_code"].isin(colours)]
        if ready.empty:
            raise ValueError(f"classes with unknown parents: {pending['code'].tolist()[:5]}")
        for _parent, kids in ready.groupby("parent_code", sort=False):
            codes = kids["code"].tolist()
            for i, code in enumerate(codes):
                colours[code] = shade(colours[_parent], i, len(codes))
        pending = pending[~pending["code"].isin(colours)]
    return colours
