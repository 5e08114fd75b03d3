"""Classifications: area → class codes plus the class hierarchy, one code path for all of them.

OAC 2021 (open), the Leeds 2011 OAC and a user's licensed classification (Mosaic, Acorn ...)
all arrive as two tables: assignments (area code → finest-tier class code) and classes
(code, name, tier, optional parent). Where the parent is not given it is the class of the
tier above whose code prefixes this one (OAC: ``3c2`` → ``3c`` → ``3``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyogrio

from boundaries.catalogue import Source
from boundaries.corrections import correct
from boundaries.errors import LoadError, name_some
from boundaries.loaders.common import read_tabular, require_filled, require_unique, write_source
from boundaries.readers import check_file
from boundaries.store import AREA_LEVELS
from core.store import Transaction, Writer
from core.store.queries import loads as q

OAC_TIERS = ("supergroup", "group", "subgroup")


@dataclass(frozen=True)
class ClassificationSpec:
    """What the ``classification`` row says about a classification."""

    classification_id: str
    name: str
    base_level: str = "oa"
    tiers: tuple[str, ...] = OAC_TIERS
    description: str | None = None
    method: str | None = None


def natural_key(code: str) -> tuple:
    """``2`` < ``10`` and ``A9`` < ``A10``, for class sort order."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", code))


def read_assignments(path: Path, area_col: str, class_col: str) -> pd.DataFrame:
    """Area → class code from a CSV or Parquet file, as ``area_code, class_code``."""
    frame = read_tabular(path, [area_col, class_col])
    require_filled(frame, [area_col, class_col], path)
    out = pd.DataFrame({"area_code": frame[area_col].str.strip(), "class_code": frame[class_col].str.strip()})
    require_unique(out["area_code"], path, "area codes")
    return out


def read_classes(
    path: Path,
    tiers: tuple[str, ...],
    code_col: str,
    name_col: str,
    tier_col: str,
    parent_col: str | None = None,
) -> pd.DataFrame:
    """Class table as ``code, tier, parent_code, name``; tier values matched case-insensitively."""
    columns = [code_col, name_col, tier_col] + ([parent_col] if parent_col else [])
    frame = read_tabular(path, columns)
    require_filled(frame, [code_col, name_col, tier_col], path)
    tier = frame[tier_col].str.strip().str.lower()
    known = {t.lower(): t for t in tiers}
    unknown = ~tier.isin(known)
    if unknown.any():
        raise LoadError(
            path, f"tier(s) {name_some(frame.loc[unknown, tier_col])} not among the tiers {', '.join(tiers)}"
        )
    out = pd.DataFrame(
        {
            "code": frame[code_col].str.strip(),
            "tier": tier.map(known),
            "parent_code": frame[parent_col].str.strip() if parent_col else None,
            "name": frame[name_col].str.strip(),
        }
    )
    require_unique(out["code"], path, "class codes")
    return out


def complete_classes(classes: pd.DataFrame, tiers: tuple[str, ...], path: object) -> pd.DataFrame:
    """Fill missing parents by code prefix, check the hierarchy, add the sort order."""
    classes = classes.copy()
    by_tier = {t: set(classes.loc[classes["tier"] == t, "code"]) for t in tiers}
    for depth, tier in enumerate(tiers):
        rows = classes["tier"] == tier
        if depth == 0:
            classes.loc[rows, "parent_code"] = None
            continue
        above = sorted(by_tier[tiers[depth - 1]], key=len, reverse=True)
        for i in classes.index[rows]:
            if pd.isna(classes.at[i, "parent_code"]) or classes.at[i, "parent_code"] in ("", None):
                code = classes.at[i, "code"]
                classes.at[i, "parent_code"] = next(
                    (p for p in above if code.startswith(p) and p != code), None
                )
        orphan = rows & ~classes["parent_code"].isin(by_tier[tiers[depth - 1]])
        if orphan.any():
            raise LoadError(
                path,
                f"{tier} class(es) {name_some(classes.loc[orphan, 'code'])} have no {tiers[depth - 1]} parent",
            )
    order = sorted(
        classes.index, key=lambda i: (tiers.index(classes.at[i, "tier"]), natural_key(classes.at[i, "code"]))
    )
    classes.loc[order, "sort"] = range(1, len(order) + 1)
    classes["sort"] = classes["sort"].astype(int)
    return classes


def load_classification(
    writer: Writer,
    spec: ClassificationSpec,
    assignments: pd.DataFrame,
    classes: pd.DataFrame,
    source: Source,
    files: list[Path] | Path | None,
) -> int:
    """Write a classification, its classes and its area assignments, replacing an earlier load.

    Parameters
    ----------
    assignments
        ``area_code, class_code``: one finest-tier class per area.
    classes
        ``code, tier, name`` and optionally ``parent_code`` (inferred from code prefixes if empty).

    Returns
    -------
    Number of areas assigned.
    """
    label = files[0] if isinstance(files, list) else files
    if spec.base_level not in AREA_LEVELS:
        raise LoadError(label, f"unknown base level {spec.base_level!r}; known: {', '.join(AREA_LEVELS)}")
    if "parent_code" not in classes.columns:
        classes = classes.assign(parent_code=None)
    classes = complete_classes(classes, spec.tiers, label)
    classes, corrected = correct(classes, source.id)
    finest = set(classes.loc[classes["tier"] == spec.tiers[-1], "code"])
    unknown = ~assignments["class_code"].isin(finest)
    if unknown.any():
        raise LoadError(
            label,
            f"class code(s) {name_some(assignments.loc[unknown, 'class_code'].unique())} of "
            f"{unknown.sum()} area(s) are not {spec.tiers[-1]} codes of the class table",
        )
    cid = spec.classification_id
    classification = pd.DataFrame(
        [
            {
                "classification_id": cid,
                "name": spec.name,
                "base_level": spec.base_level,
                "tiers": ",".join(spec.tiers),
                "description": spec.description,
                "method": spec.method,
                "attribution": source.attribution or None,
                "source_id": source.id,
            }
        ]
    )

    def write(tx: Transaction) -> int:
        held = tx.fetch_frame(q.classification_owner(cid, source.id))
        if not held.empty:
            raise LoadError(
                label, f"classification {cid!r} already loaded by source {held['source_id'].iloc[0]}"
            )
        tx.execute(q.forget_corrections(source.id))
        if corrected:
            tx.execute(q.record_corrections(source.id, json.dumps(corrected)))
        tx.delete_where("profile_class", classification_id=cid)
        tx.insert_frame("classification", classification)
        tx.insert_frame(
            "profile_class",
            classes[["code", "tier", "parent_code", "name", "sort"]].assign(classification_id=cid),
        )
        # a reload upserts: on the embedded store a keyed delete of every row would cost ~15 s
        return tx.replace(
            "area_class",
            assignments.assign(classification_id=cid, source_id=source.id),
            classification_id=cid,
        )

    return write_source(writer, source, files, write)


def load_oac2021(writer: Writer, data_dir: Path, source: Source) -> int:
    """OAC 2021: ``UK_OAC_Final.parquet`` codes and the CDRC names file."""
    codes, names = source.paths(data_dir)
    assignments = read_assignments(codes, "Geography_Code", "Subgroup")
    classes = read_classes(names, OAC_TIERS, "Classification Code", "Classification Name", "Level")
    spec = ClassificationSpec("oac2021", "ONS Output Area Classification 2021")
    return load_classification(writer, spec, assignments, classes, source, [codes, names])


def load_oac2011_leeds(writer: Writer, data_dir: Path, source: Source) -> int:
    """The 2011 OAC attached to the Leeds OA boundaries (supergroup/group/subgroup codes and names)."""
    path = check_file(source.path(data_dir))
    cols = ["oa_code", "supgrpcode", "supgrpname", "grpcode", "grpname", "subgrpcode", "subgrpname"]
    try:
        frame = pyogrio.read_dataframe(path, read_geometry=False, columns=cols)
    except Exception as exc:  # GDAL raises many types for unreadable files
        raise LoadError(path, f"cannot read: {exc}") from None
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise LoadError(path, f"missing column(s) {', '.join(missing)}")
    text = frame[cols].apply(lambda c: c.map(_text))
    require_filled(text, cols, path)
    parts = [
        text[[code, name]].drop_duplicates().set_axis(["code", "name"], axis=1).assign(tier=tier)
        for tier, code, name in zip(
            OAC_TIERS,
            ("supgrpcode", "grpcode", "subgrpcode"),
            ("supgrpname", "grpname", "subgrpname"),
            strict=True,
        )
    ]
    classes = pd.concat(parts, ignore_index=True)
    require_unique(classes["code"], path, "class codes (one code with two names)")
    assignments = pd.DataFrame({"area_code": text["oa_code"], "class_code": text["subgrpcode"]})
    require_unique(assignments["area_code"], path, "area codes")
    spec = ClassificationSpec("oac2011-leeds", "Output Area Classification 2011 (Leeds)")
    return load_classification(writer, spec, assignments, classes, source, path)


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
