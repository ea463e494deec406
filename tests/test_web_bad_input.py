"""Bad input never gives a 500: forged ids, huge page numbers, malformed files, control characters."""
from __future__ import annotations

from web_support import api_token


def test_one_task_and_one_instance_are_read_through_the_api(client, app, site):
    instance_id = site.start_visit()
    task = site.task(instance_id)
    token = {"Authorization": f"Bearer {api_token(app, 'admin')}"}
    own = {"Authorization": f"Bearer {api_token(app, 'insp1')}"}
    response = client.get(f"/api/v1/tasks/{task.id}", headers=own)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["id"] == task.id and response.get_json()["form_schema"]["type"] == "object"
    response = client.get(f"/api/v1/instances/{instance_id}", headers=token)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["id"] == instance_id and response.get_json()["open_tasks"]


HUGE = str(10 ** 20)
NUMBERS = {"page": HUGE, "version": HUGE, "from": HUGE, "to": HUGE, "year": HUGE, "month": HUGE, "period": HUGE}


def _server_errors(client, urls, **kwargs) -> dict:
    """url -> status (or the exception) for every url that answers with a server error."""
    failures = {}
    for url in urls:
        try:
            response = client.get(url, **kwargs)
        except Exception as err:  # noqa: BLE001 - the test app propagates what would be a 500
            failures[url] = repr(err)[:120]
            continue
        if response.status_code >= 500:
            failures[url] = response.status_code
    return failures


def _plain_get_rules(app, api: bool):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static" \
                and rule.rule.startswith("/api/") == api and "openapi" not in rule.rule and "logout" not in rule.rule:
            yield rule.rule


def test_huge_page_numbers_and_counts_on_every_page_answer_without_a_server_error(app, site):
    from web_support import signed_in
    client = signed_in(app, "admin")
    assert not _server_errors(client, _plain_get_rules(app, api=False), query_string=NUMBERS)


def test_huge_page_numbers_and_counts_on_every_api_operation_answer_4xx_or_an_empty_page(client, app, site):
    token = {"Authorization": f"Bearer {api_token(app, 'admin')}"}
    assert not _server_errors(client, _plain_get_rules(app, api=True), query_string=NUMBERS, headers=token)
