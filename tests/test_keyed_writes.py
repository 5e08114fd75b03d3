"""Keyed tables written in bulk: every key is kept on both backends, and the ways the embedded
store avoids deleting keyed rows one by one (recreating a table, rewriting it without the rows
of a large delete, a plain first insert) keep exactly the rows they should, inside the
transaction as well as after it."""

from __future__ import annotations

import pandas as pd
import pytest

from core.store.duckdb_backend import MANY_ROWS

pytestmark = pytest.mark.hermetic

BIG = 150_000  # past DuckDB's row group (122,880 rows): large appends take its optimistic-write path


def area_classes(cid: str, n: int, source: str, prefix: str = "E") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "classification_id": cid,
            "area_code": [f"{prefix}{i:08d}" for i in range(n)],
            "class_code": [str(i % 7) for i in range(n)],
            "source_id": source,
        }
    )


def count(tx, where: str = "TRUE") -> int:
    return int(tx.fetch_frame(f"SELECT count(*) AS n FROM area_class WHERE {where}")["n"].iloc[0])


def test_a_large_delete_keeps_the_other_rows_and_the_key(writer) -> None:
    assert BIG > MANY_ROWS
    with writer.transaction() as tx:
        tx.insert_frame("area_class", area_classes("big", BIG, "a"))
        tx.insert_frame("area_class", area_classes("small", 5, "b"))
    with writer.transaction() as tx:
        tx.delete_where("area_class", source_id="a")
        assert count(tx) == 5 and count(tx, "source_id = 'b'") == 5
        tx.insert_frame("area_class", area_classes("big", BIG, "a", prefix="W"))
        assert count(tx) == BIG + 5  # read inside the transaction that rewrote the table
    with writer.transaction() as tx:
        assert count(tx, "area_code LIKE 'W%'") == BIG and count(tx, "area_code LIKE 'E%'") == 5
    with pytest.raises(Exception, match="(?i)duplicate|unique|primary key"), writer.transaction() as tx:
        tx.insert_frame("area_class", area_classes("small", 1, "c"))  # the key survived the rewrite


def test_deleting_every_row_then_a_large_insert_is_read_back_in_the_same_transaction(writer) -> None:
    """DuckDB 1.5.5 misread a transaction that wrote an empty copy into a recreated table before
    a large insert (a census reload saw 0 of its 8.5 million rows); nothing writes that copy."""
    with writer.transaction() as tx:
        tx.insert_frame("area_class", area_classes("big", BIG, "a"))
    with writer.transaction() as tx:
        tx.delete_where("area_class", source_id="a")
        assert count(tx) == 0
        tx.insert_frame("area_class", area_classes("big", BIG, "a", prefix="W"))
        assert count(tx) == BIG
    with writer.transaction() as tx:
        assert count(tx) == BIG


def test_clear_empties_a_table_and_keeps_its_key(writer) -> None:
    with writer.transaction() as tx:
        tx.insert_frame("area_class", area_classes("c", 1_000, "a"))
    with writer.transaction() as tx:
        tx.clear("area_class")
        assert count(tx) == 0
        tx.insert_frame("area_class", area_classes("c", BIG, "a"))
        assert count(tx) == BIG
    with pytest.raises(Exception, match="(?i)duplicate|unique|primary key"), writer.transaction() as tx:
        tx.insert_frame("area_class", area_classes("c", 1, "a"))


def test_replace_is_a_plain_insert_first_and_an_upsert_after(writer) -> None:
    with writer.transaction() as tx:
        assert tx.replace("area_class", area_classes("c", 100, "a"), classification_id="c") == 100
        again = area_classes("c", 60, "a").assign(class_code="9")
        assert tx.replace("area_class", again, classification_id="c") == 60
        assert count(tx) == 60 and count(tx, "class_code = '9'") == 60
