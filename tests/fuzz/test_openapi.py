"""schemathesis: the OpenAPI description (openapi.yaml, beside this module) against the WSGI app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.harness import authorization_bug, authorize_bug, registration_bug
from tests.fuzz.known import KNOWN_BUGS, OAUTH_ENDPOINTS, Tally, bounded
from tests.fuzz.target import Target

SCHEMA_PATH = Path(__file__).with_name("openapi.yaml")
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def schemathesis_cases() -> st.SearchStrategy[Any]:
    """Cases for every operation of openapi.yaml: valid (positive) and invalid (negative) ones, and its examples."""
    schema = schemathesis.openapi.from_path(SCHEMA_PATH)
    operations = [result.ok() for result in schema.get_all_operations()]
    strategies = []
    for operation in operations:
        strategies += [operation.as_strategy(generation_mode=mode) for mode in MODES]
        strategies += operation.get_strategies_from_examples()
    return st.one_of(strategies)


def case_bug(case: Any) -> str | None:
    """The known bug a schemathesis case hits, if any."""
    if case.path == "/oauth/register":
        return registration_bug(case.body)
    if case.path == "/oauth/authorize" and isinstance(case.query, dict):
        return authorize_bug({key: str(value) for key, value in case.query.items()})
    if case.path in OAUTH_ENDPOINTS and case.headers:
        return authorization_bug({key: str(value) for key, value in dict(case.headers).items()})
    return None


def test_openapi_schemathesis(target: Target) -> None:
    """schemathesis's stateless checks (no server error; status codes, content types, headers and bodies as
    documented) over tests/fuzz/openapi.yaml, against the WSGI app."""
    tally = Tally("schemathesis over openapi.yaml")

    @bounded(300)
    @given(case=schemathesis_cases())
    @tally.counted
    def run(case: Any) -> None:
        try:
            response = case.call(app=target.app)
        except Exception as error:  # the WSGI app raised (as B3 did)
            raise AssertionError(f"{case.method} {case.formatted_path} raised {error!r}") from error
        tally.saw(response, f"{case.method} {case.path}")
        if response.status_code >= 500 and (bug := case_bug(case)) in KNOWN_BUGS:
            tally.note(f"known {bug}")
            return
        case.validate_response(response, checks=CHECKS)
        assert b"Traceback" not in response.content

    tally.run(run)
