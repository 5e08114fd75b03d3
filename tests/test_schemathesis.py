"""The OpenAPI document holds: schemathesis over every operation of a live server on both
backends, with realistic values (real codes, levels, layers, services, zooms) mixed into its
generated ones. No server error, no undocumented status, no answer outside its schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.settings import Settings
from tests.live_server import live_server
from tests.synthetic import LEEDS, TRAFFORD, World

EXAMPLES_PER_OPERATION = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
LEVELS = ["nuts0", "nuts1", "nuts2", "nuts3", "lad", "ward", "lsoa", "oa"]


def _config(world: World) -> SchemathesisConfig:
    """Dictionaries of real values, drawn for about half the values of the parameters named."""
    codes = [TRAFFORD[0], LEEDS[0], *(a.code for lv in ("ward", "lsoa") for a in world.areas(lv)[:3])]
    codes += [r.code for r in world.regions if r.level == 3][:3] + list(world.oas["code"][:3])
    dictionaries = {
        "codes": {"values": codes},
        "levels": {"values": LEVELS},
        "layers": {"values": [*LEVELS, "auto"]},
        "services": {"values": [1, 19, 22, 286, 569, 1098]},
        "classifications": {"values": ["oac2021", "eunuts3", "oac2011-leeds"]},
        "zooms": {"values": [0, 5, 8, 10, 12, 14]},
    }
    half = 0.5
    parameters = {
        "path.code": {"dictionary": "codes", "probability": half},
        "query.parent": {"dictionary": "codes", "probability": half},
        "query.level": {"dictionary": "levels", "probability": half},
        "path.level": {"dictionary": "levels", "probability": half},
        "path.collection": {"dictionary": "levels", "probability": half},
        "path.layer": {"dictionary": "layers", "probability": half},
        "query.service": {"dictionary": "services", "probability": half},
        "path.lgsl": {"dictionary": "services", "probability": half},
        "query.classification": {"dictionary": "classifications", "probability": half},
        "path.classification_id": {"dictionary": "classifications", "probability": half},
        "path.z": {"dictionary": "zooms", "probability": half},
        "query.z": {"dictionary": "zooms", "probability": half},
    }
    return SchemathesisConfig.from_dict(
        {
            "seed": 2026,
            "dictionaries": dictionaries,
            "parameters": parameters,
            "generation": {"max-examples": EXAMPLES_PER_OPERATION},
            "phases": {"stateful": {"enabled": False}},
        }
    )


@pytest.fixture(scope="module")
def api_base(synthetic_settings: Settings) -> Iterator[str]:
    with live_server(synthetic_settings) as base:
        yield base


def test_every_operation_answers_as_documented(api_base: str, synthetic: World) -> None:
    schema = schemathesis.openapi.from_url(f"{api_base}/openapi.json", config=_config(synthetic))
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 15
    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case) -> None:
            case.call_and_validate(base_url=api_base, checks=CHECKS, timeout=30)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every operation's
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
