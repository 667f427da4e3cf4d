"""The sync API is published in OpenAPI with its request, response and error models (a second client can
be written from it and docs/sync/protocol.md alone)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings


def test_openapi_names_every_sync_path_with_its_request_response_and_error_models(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'ppj.sqlite3'}"))
    schema = TestClient(app).get("/openapi.json").json()
    paths, components = schema["paths"], schema["components"]["schemas"]
    for path, request_model, response_model in (
        ("/sync/v1/push", "PushRequest", "PushResponse"),
        ("/sync/v1/pull", "PullRequest", "PullResponse"),
    ):
        operation = paths[path]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{request_model}"}
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{response_model}"}
        assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorBody"
        }
    assert "get" in paths["/sync/v1/access"]
    for model in (
        "PushRequest",
        "PushItem",
        "WireEntry",
        "PullRequest",
        "PushResult",
        "ErrorBody",
        "HlcBound",
    ):
        assert model in components, model
    assert components["PushItem"]["properties"]["entry"] == {"$ref": "#/components/schemas/WireEntry"}
