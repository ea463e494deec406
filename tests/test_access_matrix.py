"""Every page and API operation that takes an id or a number is covered by an object-level access test.

The matrix is generated from the app's URL map, not hand-listed: a new route with an id in its path
fails here until an access test (tests/test_access_<area>.py) exercises it — by its endpoint name or its
path — for an object of the actor's own branch or team and one out of reach (404, nothing written).
The area files hold the cells: each builds two counties and asks every role for both objects.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _access_tests() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(HERE.glob("test_access_*.py"))
                     if path.name != Path(__file__).name)


def _with_ids(app) -> list:
    return sorted((rule for rule in app.url_map.iter_rules() if rule.arguments and rule.endpoint != "static"),
                  key=lambda rule: (rule.endpoint, rule.rule))


def _exercised(rule, text: str) -> bool:
    """The endpoint is named, or its path is requested with some value in place of each argument."""
    if f'"{rule.endpoint}"' in text or f"'{rule.endpoint}'" in text:
        return True
    parts = re.split(r"<[^>]*>", rule.rule)
    pattern = r"[^/\"'\s]+".join(re.escape(part) for part in parts)
    return re.search(pattern, text) is not None


def test_every_route_with_an_id_has_object_level_access_tests(app):
    text = _access_tests()
    missing = [f"{rule.endpoint} {rule.rule}" for rule in _with_ids(app) if not _exercised(rule, text)]
    assert not missing, ("routes that take an id or number but no access test asks for them as an actor "
                         "of the object's county and of another:\n" + "\n".join(missing))


def test_the_matrix_is_not_vacuous(app):
    """A route nobody tests is reported (the check reads the tests, it does not assume them)."""
    rule = next(r for r in _with_ids(app) if r.endpoint == "hazards.dossier_page")
    assert _exercised(rule, _access_tests())
    assert not _exercised(rule, "def test_nothing(): pass")


@pytest.mark.parametrize("name", sorted(p.name for p in HERE.glob("test_access_*.py")))
def test_each_area_file_checks_that_a_refusal_writes_nothing(name):
    """Each area's cells compare what is stored before and after a refused request."""
    if name == Path(__file__).name:
        pytest.skip("this file holds the generated coverage, not cells")
    source = (HERE / name).read_text(encoding="utf-8")
    assert re.search(r"before\s*==|==\s*before|_unchanged|nothing_written|counts\(\)\s*==", source), name
