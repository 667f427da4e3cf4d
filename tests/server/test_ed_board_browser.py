"""The ED board in a real browser (Playwright driving Debian's Chromium; no browser download) against a
real server process on PostgreSQL: log in as ED staff, see a pre-alerted patient appear live when a tablet
syncs, open the patient, confirm receipt, and find the confirmation in the tablet's store. Staff of a
second hospital never see that patient. Screenshots go to ``artifacts/`` (gitignored)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from server.app import create_app
from server.config import Settings
from server.db import make_session_factory
from server.identity.models import Role
from server.identity.service import create_person
from server.orgs.models import Organisation
from tests.server.ed_board_scenario import COMPLAINT, capture_pre_alerted_patient, hospital_sor
from tests.server.live_server import server_process
from tests.server.sync_tablets import make_tablet
from tests.server.world import PASSWORD, World, build_world, hashed_password

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "ed-board"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


@pytest.fixture
def live(
    postgres_schema_url: str, engine_for: Callable[[str], Engine]
) -> Iterator[tuple[str, Engine, World]]:
    engine = engine_for(postgres_schema_url)
    world = build_world(make_session_factory(engine))
    with server_process(postgres_schema_url) as base_url:
        yield base_url, engine, world


def _second_hospital_staff(engine: Engine, world: World) -> str:
    with make_session_factory(engine)() as session:
        create_person(
            session=session,
            username="ed-esbjerg",
            display_name="Akutlæge Esbjerg",
            role=Role.ed_staff,
            password=hashed_password(),
            organisation_id=session.get_one(Organisation, world.ed_other).parent_id,
        )
        session.commit()
    return "ed-esbjerg"


def test_ed_staff_watch_a_pre_alert_arrive_live_and_confirm_receipt_in_the_browser(
    live: tuple[str, Engine, World], postgres_schema_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base_url, engine, world = live
    sessions = make_session_factory(engine)
    other_username = _second_hospital_staff(engine, world)
    # The tablet syncs through an in-test app: another server process than the board's.
    tablet_app = create_app(Settings(database_url=postgres_schema_url), engine=engine)
    tablet = make_tablet(
        app=tablet_app,
        sessions=sessions,
        person_id=world.callers[Role.paramediciner].person_id,
        path=tmp_path / "tablet",
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            own = browser.new_page(viewport={"width": 1400, "height": 700}, locale="da-DK")  # the default
            other = browser.new_page()
            for page, username in ((own, world.callers[Role.ed_staff].username), (other, other_username)):
                page.goto(f"{base_url}/login")
                page.fill("input[name=username]", username)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                expect(page.locator("#board-rows")).to_be_visible()
                # A locator, not wait_for_function: the board's CSP (script-src 'self') forbids eval.
                expect(page.locator("body[data-live='open']")).to_have_count(1)

            journal_id = capture_pre_alerted_patient(
                tablet, sor=hospital_sor(sessions, world.ed_own), hospital="Odense Universitetshospital"
            )
            tablet.client.sync_once()

            row = own.locator(f"tr[data-journal='{journal_id}']")
            expect(row).to_contain_text(COMPLAINT, timeout=10_000)  # arrived live, no reload
            expect(row.locator("td.news2-red")).to_be_visible()
            own.screenshot(path=str(ARTIFACTS / "board.png"))

            expect(other.locator("body[data-refreshed]")).to_have_count(1, timeout=10_000)
            assert str(journal_id) not in other.content()
            other.screenshot(path=str(ARTIFACTS / "board-other-hospital.png"))

            row.locator("a").click()
            expect(own.locator("svg.chart polyline").first).to_be_attached()
            own.screenshot(path=str(ARTIFACTS / "patient.png"), full_page=True)
            own.click("#confirm-received")
            expect(own.locator(".status-received")).to_be_visible()
            own.screenshot(path=str(ARTIFACTS / "received.png"), full_page=True)
        finally:
            browser.close()

    tablet.client.sync_once()
    receipts = [
        json.loads(e.content)
        for e in tablet.store.journal_entries(uuid.UUID(str(journal_id)))
        if json.loads(e.content)["kind"] == "handover"
    ]
    tablet.store.close()
    assert len(receipts) == 1 and receipts[0]["payload"]["confirmed_receipt"] is True
