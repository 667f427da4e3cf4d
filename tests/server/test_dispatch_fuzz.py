"""Any request to the dispatch API — malformed JSON, wrong types, unknown units, odd text, oversized bodies —
gets a 2xx or a 4xx whose body names the problem, never a 5xx (hypothesis over the request shapes)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from server.api.dispatch_routes import MAX_BODY_BYTES
from server.app import create_app
from server.config import Settings
from server.identity.models import Role
from tests.server.test_dispatch import MISSION
from tests.server.world import World

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
# Text the way a dispatch system might send it: control characters, NUL, non-Latin letters.
odd_text = st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=60)

bodies = st.one_of(
    # one field replaced by anything, or removed
    st.builds(
        lambda key, value: {**MISSION, key: value},
        st.sampled_from(sorted(MISSION)),
        json_values | odd_text,
    ),
    st.builds(lambda key: {k: v for k, v in MISSION.items() if k != key}, st.sampled_from(sorted(MISSION))),
    # units that may or may not exist
    st.builds(lambda units: {**MISSION, "units": units}, st.lists(odd_text, max_size=25)),
    # an extra field, or a body that is not an object at all
    st.builds(
        lambda key: {**MISSION, key: 1}, st.text(min_size=1, max_size=12).filter(lambda k: k not in MISSION)
    ),
    json_values,
)
raw = st.one_of(st.binary(max_size=200), st.just(b"x" * (MAX_BODY_BYTES + 1)))


@pytest.fixture
def http(engine: Engine, database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=database_url), engine=engine)) as client:
        yield client


def _clear(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        detail = response.json()
        assert detail, "a refusal says why"


@FUZZ
@given(body=bodies, reference=st.uuids())
def test_any_mission_body_is_answered_with_a_success_or_a_clear_refusal(
    http: TestClient, world: World, body: Any, reference: uuid.UUID
) -> None:
    headers = world.callers[Role.dispatcher].api_headers()
    if isinstance(body, dict) and body.get("reference") == MISSION["reference"]:
        body = {**body, "reference": f"M-{reference}"}  # a fresh mission each time, so 201 stays possible
    created = http.post("/api/dispatch/missions", json=body, headers=headers)
    _clear(created)
    target = created.json()["mission_id"] if created.status_code == 201 else str(reference)
    _clear(http.put(f"/api/dispatch/missions/{target}", json=body, headers=headers))
    _clear(http.post(f"/api/dispatch/missions/{target}/cancel", json=body, headers=headers))


@FUZZ
@given(
    content=raw,
    path=st.sampled_from(["/api/dispatch/missions", f"/api/dispatch/missions/{uuid.UUID(int=7)}"]),
)
def test_raw_bytes_are_refused_with_a_4xx(http: TestClient, world: World, content: bytes, path: str) -> None:
    headers = {**world.callers[Role.dispatch_system].api_headers(), "content-type": "application/json"}
    method = http.post if path.endswith("missions") else http.put
    response = method(path, content=content, headers=headers)
    _clear(response)
    if len(content) > MAX_BODY_BYTES:
        assert response.status_code == 413
    else:
        try:
            json.loads(content)
        except ValueError:
            assert response.status_code in (400, 422)  # not UTF-8 / not JSON
