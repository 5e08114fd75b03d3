"""Plain-words descriptions of classes from what the data shows about them.

A class is described by the indicators on which it differs most from the average (as a ratio
of its weighted mean to the overall mean), each with both figures, so every sentence can be
checked against the tables it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Indicator:
    """A share (0–1) or a number to describe classes by."""

    name: str
    more: str  # phrase when the class is above average, e.g. "rent from a social landlord"
    less: str  # phrase when below
    percent: bool = True  # show as a percentage (else as a number)


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{100 * value:.0f}%"
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.1f}"


def describe(
    profile: pd.Series,
    average: pd.Series,
    indicators: list[Indicator],
    count_phrase: str,
    reference: str,
    top: int = 4,
    threshold: float = 0.1,
) -> str:
    """One paragraph describing a class against the average.

    Parameters
    ----------
    profile, average : Series
        Indicator name → the class's mean and the overall mean.
    indicators : list of Indicator
        What to talk about, with phrases for above and below average.
    count_phrase : str
        Opening sentence (e.g. "12,345 households (5.1% of England and Wales).").
    reference : str
        What the average is ("the England and Wales average").
    top : int
        At most this many indicators are mentioned, the most distinctive first.
    threshold : float
        Relative difference below which an indicator is not distinctive.
    """
    scored = []
    for ind in indicators:
        p, a = profile.get(ind.name), average.get(ind.name)
        if p is None or a is None or not np.isfinite(p) or not np.isfinite(a) or a == 0:
            continue
        rel = p / a - 1.0
        scored.append((abs(np.log(max(p, 1e-9) / a)), rel, ind, p, a))
    scored.sort(key=lambda x: -x[0])
    parts = []
    for _score, rel, ind, p, a in scored[:top]:
        if abs(rel) < threshold:
            continue
        phrase = ind.more if rel > 0 else ind.less
        parts.append(f"{phrase} ({_fmt(p, ind.percent)} against {_fmt(a, ind.percent)})")
    if not parts:
        return f"{count_phrase} Close to {reference} on every indicator we hold."
    body = "; ".join(parts)
    return f"{count_phrase} Compared with {reference}: {body}."


def name_from_centre(
    centre: Mapping[str, float],
    average: Mapping[str, float],
    spread: Mapping[str, float],
    terms: Mapping[str, tuple[str, str]],
    cut: float = 0.4,
    max_words: int = 2,
    fallback: str = "Close to the average",
) -> str:
    """A short name from the variables where a class centre sits furthest from the average.

    ``terms[var] = (word_if_high, word_if_low)``; a variable counts when the centre differs
    from the average by more than ``cut`` standard deviations; the ``max_words`` largest
    differences name the class, largest first.
    """
    scored = []
    for var, (high, low) in terms.items():
        sd = spread.get(var) or 0.0
        if sd <= 0:
            continue
        z = (centre[var] - average[var]) / sd
        word = high if z > 0 else low
        if abs(z) > cut and word:
            scored.append((-abs(z), var, word))
    words = [w for _, _, w in sorted(scored)[:max_words]]
    if not words:
        return fallback
    text = " and ".join(words)
    return text[0].upper() + text[1:]
