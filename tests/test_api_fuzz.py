"""A bounded schemathesis run against the API of a test app with people and a running process: every
operation, fed generated input, answers without a server error and as its OpenAPI document says."""
from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import checks  # noqa: E402

from web_support import api_token  # noqa: E402

EXAMPLES = 25        # per operation: a bounded run; enough to find an id or page the database cannot hold
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance]


def _failures(operation, headers) -> list[str]:
    found: list[str] = []

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def run(case):
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except AssertionError as err:                    # schemathesis' failures; keep going, report them all
            found.append(f"{operation.label}: {str(err).splitlines()[0][:200]}")

    run()
    return found


def test_the_api_answers_generated_input_without_a_server_error_and_as_documented(site):
    site.start_visit()
    # identity: the in-process transport hands schemathesis the body as sent, and JSON is compressed for
    # clients that ask (a real HTTP client decodes it; this transport does not)
    headers = {"Authorization": f"Bearer {api_token(site.app, 'admin')}", "Accept-Encoding": "identity"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", site.app)
    failures = []
    for result in schema.get_all_operations():
        failures += _failures(result.ok(), headers)
    assert failures == []
