"""Disclosure control of small counts (ONS practice).

Primary suppression: counts of 1 to 5 are not shown (0 may be). Secondary suppression: where
a shown total is the sum of cells (a table's total, a parent class over its children, an area
over its parts), one suppressed cell could be recovered by subtraction, so wherever exactly
one entry of such a sum is suppressed, the next smallest cell is suppressed too, until no sum
has exactly one suppressed entry. Rates and indices built on a suppressed count are suppressed
with it by the caller; a suppressed value is shown as suppressed, never as 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from geo._checks import non_negative

LOWEST_SHOWN = 6  # counts 1..5 are suppressed

Constraint = tuple[int | None, Sequence[int]]


def primary_mask(counts, lowest_shown: int = LOWEST_SHOWN) -> np.ndarray:
    """True where a count must not be shown: ``0 < count < lowest_shown``.

    Parameters
    ----------
    counts : array-like
        Counts (fractions from apportioned records count by their value).
    lowest_shown : int, default 6
        The smallest positive count that may be shown.

    Returns
    -------
    numpy.ndarray of bool
    """
    c = non_negative(counts, "counts")
    return (c > 0) & (c < lowest_shown)


def difference_mask(counts, wider, lowest_shown: int = LOWEST_SHOWN) -> np.ndarray:
    """True where a count of a part would reveal a small count by difference with the same
    cell of a wider answer the user can also ask for (a ward's customers against its
    districts'): ``0 < wider - count < lowest_shown``.

    Parameters
    ----------
    counts, wider : array-like
        The part's counts and the wider area's counts of the same cells.

    Examples
    --------
    >>> difference_mask([97, 40, 0, 12], [100, 40, 4, 30]).tolist()
    [True, False, True, False]
    """
    c, w = non_negative(counts, "counts"), non_negative(wider, "wider")
    if c.shape != w.shape:
        raise ValueError(f"counts and wider differ in shape: {c.shape} and {w.shape}")
    gap = w - c
    return (gap > 1e-9) & (gap < lowest_shown)


def secondary_mask(values, mask, constraints: Sequence[Constraint], locked=None) -> np.ndarray:
    """Extend a suppression mask so no suppressed value follows from a shown sum.

    Parameters
    ----------
    values : array-like
        The cells and totals of the table, flat.
    mask : array-like of bool
        Suppressed entries so far (usually :func:`primary_mask`).
    constraints : sequence of (total, members)
        ``values[total] == sum(values[members])``; ``total`` is a position in ``values`` or
        None for a total that is shown elsewhere and always known.
    locked : array-like of bool, optional
        Entries a reader is assumed to know and that cannot be suppressed (a part of a sum
        shown nowhere, counted as known to be cautious); never chosen for suppression.

    Returns
    -------
    numpy.ndarray of bool
        The mask with the secondary suppressions added. Where a sum has exactly one suppressed
        entry, its smallest shown non-zero member is suppressed (a zero member when no other is
        left, the total when no member is left); repeated until stable, since a suppression
        made for one sum can leave another with a single suppressed entry.
    """
    v = non_negative(values, "values")
    out = np.array(mask, dtype=bool, copy=True)
    if out.shape != v.shape:
        raise ValueError("values and mask differ in shape")
    fixed = np.zeros(v.shape, dtype=bool) if locked is None else np.asarray(locked, dtype=bool)
    changed = True
    while changed:
        changed = False
        for total, members in constraints:
            entries = list(members) + ([] if total is None else [total])
            if sum(bool(out[i]) for i in entries) != 1:
                continue
            shown = [i for i in members if not out[i] and not fixed[i]]
            candidates = [i for i in shown if v[i] > 0] or shown
            if candidates:
                pick = min(candidates, key=lambda i: (v[i], i))
            elif total is not None and not out[total] and not fixed[total]:
                pick = total
            else:  # a single-member sum whose member is suppressed and whose total is external
                continue
            out[pick] = True
            changed = True
    return out


def hierarchy_constraints(codes: Sequence[str], parents: Sequence[str | None]) -> list[Constraint]:
    """Sum constraints of a class hierarchy listed flat, with a grand total at position 0.

    Parameters
    ----------
    codes : sequence of str
        Every class of every tier; position ``k`` of a class in the flat value vector is
        ``k + 1`` (position 0 is the grand total).
    parents : sequence of str or None
        Each class's parent code (None for the top tier).

    Returns
    -------
    list of (total, members)
        The grand total over the top tier, and each parent over its children.
    """
    position = {code: k + 1 for k, code in enumerate(codes)}
    children: dict[str | None, list[int]] = {}
    for code, parent in zip(codes, parents, strict=True):
        key = parent if parent in position else None
        children.setdefault(key, []).append(position[code])
    out: list[Constraint] = [(0, children.get(None, []))]
    out += [(position[p], kids) for p, kids in children.items() if p is not None]
    return out


def suppress_table(values, constraints: Sequence[Constraint], lowest_shown: int = LOWEST_SHOWN) -> np.ndarray:
    """Primary then secondary suppression of a flat table; returns the mask."""
    return secondary_mask(values, primary_mask(values, lowest_shown), constraints)
