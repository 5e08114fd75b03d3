"""Modelled channel suitability: how likely a class, and so an area, is to need assisted
(telephone or face-to-face) rather than web contact.

No open data says which channels each class uses, so this is modelled from Census 2021 drivers
that plausibly relate to digital exclusion, combined like the service models (a weighted mean
of single-driver indices, 100 = the England and Wales average). The expected channel mix of an
area then scales a baseline mix's assisted share by the area's index. The baseline is an
assumption, not a measurement; councils' own records (the workspace's channel mix) are the
evidence that should replace it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class NeedDriver:
    variable: str  # a Census driver of derive.services.CENSUS_DRIVERS
    weight: float
    rationale: str


ASSISTED_DRIVERS: tuple[NeedDriver, ...] = (
    NeedDriver(
        "disabled_lot",
        0.25,
        "Residents whose day-to-day activities are limited a lot (TS038): disability is the "
        "strongest single correlate of not using the internet in ONS's internet-users series.",
    ),
    NeedDriver(
        "bad_health",
        0.20,
        "Residents in bad or very bad health (TS037): long-term illness goes with lower digital "
        "skills and more complex cases that need a person.",
    ),
    NeedDriver(
        "owned_outright",
        0.15,
        "Households owning outright (TS054), a proxy for older households (no age table ships "
        "with the data): older people are the largest offline group.",
    ),
    NeedDriver(
        "social_rented",
        0.15,
        "Households renting from a social landlord (TS054): lower incomes and less home "
        "broadband; more contacts about housing that are handled in person.",
    ),
    NeedDriver(
        "no_car",
        0.15,
        "Households with no car or van (TS045): a marker of low income, which goes with less "
        "home internet access.",
    ),
    NeedDriver(
        "one_person",
        0.10,
        "One-person households (TS017): no one at home to help with an online form.",
    ),
)
WEIGHTS = {d.variable: d.weight for d in ASSISTED_DRIVERS}

# The channel mix of an average area (index 100). An assumption for the modelled map, stated
# wherever it shows; not a measurement.
BASELINE_MIX = {"web": 0.55, "telephone": 0.30, "face-to-face": 0.15}
MAX_ASSISTED = 0.95


def area_index(households: np.ndarray, class_index: np.ndarray, reference: float) -> np.ndarray:
    """An area's assisted-contact index: the household-weighted mean of its classes' indices
    over the ``reference`` mean (100 = like the reference population).

    Parameters
    ----------
    households : array (areas × classes) or sparse matrix
    class_index : array (classes,)
    reference : float
        The household-weighted mean class index of the reference population.

    Examples
    --------
    >>> area_index(np.array([[10.0, 0.0], [5.0, 5.0]]), np.array([120.0, 80.0]), 100.0).tolist()
    [120.0, 100.0]
    """
    total = np.asarray(households.sum(axis=1)).ravel()
    weighted = np.asarray(households @ class_index).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 100.0 * (weighted / total) / reference, np.nan)


def expected_mix(index: np.ndarray | pd.Series, baseline: dict[str, float] | None = None) -> pd.DataFrame:
    """Expected shares of web, telephone and face-to-face contact for assisted-contact indices:
    the baseline's assisted share scaled by ``index / 100`` (at most 95 %), split between
    telephone and face-to-face as in the baseline; web takes the rest.

    Examples
    --------
    >>> expected_mix(np.array([100.0, 200.0])).round(3).to_dict("list")
    {'web': [0.55, 0.1], 'telephone': [0.3, 0.6], 'face-to-face': [0.15, 0.3]}
    """
    base = baseline or BASELINE_MIX
    assisted_base = base["telephone"] + base["face-to-face"]
    idx = np.asarray(index, dtype=float)
    assisted = np.clip(assisted_base * idx / 100.0, 0.0, MAX_ASSISTED)
    return pd.DataFrame(
        {
            "web": 1.0 - assisted,
            "telephone": assisted * base["telephone"] / assisted_base,
            "face-to-face": assisted * base["face-to-face"] / assisted_base,
        }
    )


PUBLIC_CHANNELS = ("web", "telephone", "face-to-face")


def observed_index(counts: pd.DataFrame) -> tuple[pd.Series, dict[str, float]]:
    """Observed assisted-contact index per class and the overall mix, from pooled contacts.

    Only web, telephone and face-to-face contacts count: a class's assisted share is
    ``(telephone + face-to-face) / (web + telephone + face-to-face)``; its index is 100 × that
    over the same share of all the classes' contacts, which also give the baseline mix.

    Parameters
    ----------
    counts : DataFrame
        Contacts, classes as rows and channels as columns.

    Examples
    --------
    >>> c = pd.DataFrame({"web": [60.0, 20.0], "telephone": [30.0, 60.0], "face-to-face": [10.0, 20.0]}, index=["a", "b"])
    >>> index, mix = observed_index(c)
    >>> index.round(1).to_dict(), {k: round(v, 3) for k, v in mix.items()}
    ({'a': 66.7, 'b': 133.3}, {'web': 0.4, 'telephone': 0.45, 'face-to-face': 0.15})
    """
    three = counts.reindex(columns=list(PUBLIC_CHANNELS)).fillna(0.0).astype(float)
    n = three.sum(axis=1)
    three = three[n > 0]
    if three.empty:
        raise ValueError("no web, telephone or face-to-face contacts")
    assisted = three["telephone"] + three["face-to-face"]
    total = three.to_numpy().sum()
    overall = float(assisted.sum() / total)
    if overall <= 0:
        raise ValueError("no assisted contacts at all")
    index = 100.0 * (assisted / three.sum(axis=1)) / overall
    mix = {ch: float(three[ch].sum() / total) for ch in PUBLIC_CHANNELS}
    return index, mix
