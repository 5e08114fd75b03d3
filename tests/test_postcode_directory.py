"""Reading a postcode directory (ONSPD layout) and the synthetic one made for tests and the demo."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from boundaries.errors import LoadError
from boundaries.loaders.postcodes import read_postcode_directory
from boundaries.postcodes_demo import synthetic_directory, synthetic_postcode


def test_postcodes_are_normalised_and_terminated_ones_kept(tmp_path: Path) -> None:
    path = tmp_path / "onspd.csv"
    path.write_text(
        "\ufeffpcd,pcd2,pcds,dointr,doterm,oa21cd,lsoa21cd\n"
        '"M1  1AE","M1   1AE","m1 1ae","198001","","E00000001","E01000001"\n'
        '"M1  1AF","M1   1AF","M1 1AF","198001","202001","E00000002","E01000001"\n'
        '"AB1 0AA","AB1  0AA","AB1 0AA","198001","","","S01000001"\n'  # no 2021 OA: dropped
        '"M1  1AE","M1   1AE","M1 1AE","198001","199901","E00000009","E01000001"\n'  # twice: the live row wins
    )
    frame = read_postcode_directory(path)
    assert frame.to_dict("records") == [
        {"postcode": "M11AE", "oa_code": "E00000001", "terminated": False},
        {"postcode": "M11AF", "oa_code": "E00000002", "terminated": True},
    ]


def test_a_file_without_the_columns_is_named(tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("pcds,ward\nM1 1AE,E05000001\n")
    with pytest.raises(LoadError, match="no 2021 output area column"):
        read_postcode_directory(path)


def test_the_synthetic_lookup_is_deterministic_labelled_and_reads_back(tmp_path: Path) -> None:
    areas = pd.DataFrame(
        {
            "oa_code": ["E00000001", "E00000002", "E00000003"],
            "lad_code": ["E08000009"] * 3,
            "households": [400, None, 60],
        }
    )
    one, two = synthetic_directory(areas, seed=3), synthetic_directory(areas, seed=3)
    pd.testing.assert_frame_equal(one, two)
    assert set(one["synthetic"]) == {"synthetic"} and all(p.startswith("Q") for p in one["pcds"])
    assert one["pcds"].is_unique and (one.groupby("oa21cd").size() >= 2).all()
    assert (one[one["oa21cd"] == "E00000001"]["doterm"] == "").sum() == 20  # 400 households / 20
    path = tmp_path / "synthetic.csv"
    one.to_csv(path, index=False)
    back = read_postcode_directory(path)
    assert len(back) == len(one) and back["terminated"].sum() == (one["doterm"] != "").sum()
    assert synthetic_postcode(0) == "QA1 0AA" and synthetic_postcode(4000) == "QA2 0AA"
