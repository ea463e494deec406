"""The OpenAPI document matches the answers: every error is documented as application/problem+json (the
content type the API sends), operations that take input document their 422, and bad requests of each kind
get problem documents with a documented status."""
from __future__ import annotations

import re

from web_support import api_token

PROBLEM = "application/problem+json"


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def _resolve(spec, response):
    if "$ref" in response:
        return spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return response


def test_every_documented_error_is_a_problem_document_and_input_means_a_documented_422(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    wrong, no_422 = [], []
    for path, method, operation in _operations(spec):
        for status, response in operation["responses"].items():
            if status == "default" or int(status) >= 400:
                content = _resolve(spec, response).get("content", {})
                if list(content) != [PROBLEM]:
                    wrong.append((method, path, status, list(content)))
        takes_input = "requestBody" in operation or any(p.get("in") == "query" for p in operation.get("parameters", []))
        if takes_input and "422" not in operation["responses"]:
            no_422.append((method, path))
    assert wrong == [] and no_422 == []
    problem = spec["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "errors"} <= set(problem)


def _documented(spec, path: str, method: str, status: int) -> bool:
    for template, item in spec["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method in item:
            responses = item[method]["responses"]
            return str(status) in responses or "default" in responses
    return False


def test_bad_requests_of_each_kind_get_documented_problem_documents(client, app, site):
    spec = client.get("/api/v1/openapi.json").get_json()
    token = {"Authorization": f"Bearer {api_token(app, 'insp1')}"}
    calls = [("get", "/api/v1/tasks", {}, None),                                     # 401: no token
             ("get", "/api/v1/tasks/nope", token, None),                             # 404
             ("get", "/api/v1/instances/1", token, None),                            # 403: not an observer
             ("get", "/api/v1/tasks?page=0", token, None),                           # 422: query
             ("get", f"/api/v1/tasks?page={10 ** 30}", token, None),                 # 422: too large
             ("post", "/api/v1/tasks/nope/complete", token, {"data": "not an object"}),   # 422: body
             ("post", "/api/v1/hazards", token, {"customer": "x"}),                  # 422: missing fields
             ("post", "/api/v1/processes/instances", token, {"process_id": "nope"})]  # 404 (documented)
    for method, url, headers, body in calls:
        response = getattr(client, method)(url, headers=headers, json=body)
        path = url.split("?")[0]
        assert 400 <= response.status_code < 500, (url, response.status_code)
        assert response.mimetype == PROBLEM, (url, response.mimetype)
        document = response.get_json()
        assert document["status"] == response.status_code and document["title"], (url, document)
        assert _documented(spec, path, method, response.status_code), (url, response.status_code)
