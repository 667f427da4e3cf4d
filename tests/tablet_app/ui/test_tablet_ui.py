"""The real app under Xvfb, driven by simulated touches: log-in in Danish (generated demo password),
language switch, a second crew member signing on, a new patient identified by CPR, timeline taps, three
vital sets on the pad (refusing a meaningless value, asking about an implausible one), NEWS2, switching
author, handover and signing; the lock screen."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tablet_app.testing.harness import HarnessError, RunningTablet, VirtualScreen
from tests.server.live_server import free_port

pytestmark = pytest.mark.slow


def tap_keys(tablet: RunningTablet, keys: str, prefix: str = "pad_") -> None:
    for key in keys:
        tablet.tap(prefix + ("decimal" if key == "," else key))


def vital_set(tablet: RunningTablet, values: dict[str, str]) -> None:
    for field_id, typed in values.items():
        tablet.tap(f"field_{field_id}")
        tap_keys(tablet, typed)
        tablet.tap("pad_ok")
    tablet.tap("vitals_save_set")


def log_in(tablet: RunningTablet, username: str, pin: str) -> None:
    tablet.command("type", id="login_username", text=username)
    tablet.command("type", id="login_password", text=tablet.demo_passwords[username])
    tablet.command("type", id="login_pin", text=pin)
    tablet.tap("login_submit")
    tablet.wait_for_screen("journals")


def test_a_crew_documents_a_patient_from_log_in_to_signature(
    demo_tablet: RunningTablet, screenshots: Path
) -> None:
    tablet = demo_tablet
    assert set(tablet.demo_passwords) == {"demo", "demo2"}  # generated for this run, never fixed
    assert tablet.screen() == "login"
    assert tablet.text("login_title") == "Log ind på PPJ"
    tablet.screenshot(screenshots / "01-login-da.png")

    with pytest.raises(HarnessError, match="no widget 'pad_ok' on screen 'login'"):
        tablet.tap("pad_ok")
    tablet.tap("login_submit")  # empty form: each field says what is missing
    assert tablet.text("login_username_error") == "Skriv dit brugernavn."
    tablet.tap("login_language")
    assert tablet.text("login_username_error") == "Enter your user name."
    tablet.screenshot(screenshots / "02-login-en-errors.png")
    tablet.tap("login_language")

    log_in(tablet, "demo", "2580")
    tablet.tap("journals_sign_on")  # the second crew member signs on with their own password and PIN
    log_in(tablet, "demo2", "1357")
    assert tablet.text("journals_crew") == "Besætning: Demo Ambulancebehandler, Demo Paramediciner"
    assert tablet.text("journals_sync").startswith("0 registreringer venter")

    tablet.tap("journals_new")
    tablet.wait_for_screen("journal")
    assert tablet.text("journal_identity") == "Patient ikke identificeret"
    assert tablet.text("mark_patient_contact").startswith("Patientkontakt\n")
    tablet.command("type", id="journal_cpr", text="3102471234")
    tablet.tap("journal_identify")
    assert tablet.text("journal_cpr_error").startswith("CPR-nummeret er ikke gyldigt")
    tablet.command(
        "type", id="journal_cpr", text="2509479989", replace=True
    )  # MedCom's published test person
    tablet.tap("journal_identify")
    assert tablet.text("journal_identity") == "CPR 250947-9989"
    tablet.tap("mark_on_scene")
    assert re.fullmatch(r"Ankomst skadested\n\d\d:\d\d", tablet.text("mark_on_scene"))
    tablet.tap("acvpu_A")

    tablet.tap("journal_vitals")
    tablet.wait_for_screen("vitals_pad")
    tablet.tap("field_spo2")
    tap_keys(tablet, "101")  # the last key would make it 101 %: refused on the spot, entry kept
    assert tablet.text("pad_display") == "10"
    assert tablet.text("pad_message") == "SpO2 kan ikke være over 100 %."
    tablet.tap("pad_clear")
    tablet.tap("vitals_oxygen")
    assert tablet.text("vitals_oxygen") == "På atmosfærisk luft"
    vital_set(
        tablet,
        {
            "heart_rate": "88",
            "respiratory_rate": "16",
            "spo2": "97",
            "bp_systolic": "128",
            "temperature": "37,0",
        },
    )
    assert tablet.text("vitals_set_status") == "Dette sæt: 0 værdier · 1 sæt gemt"
    vital_set(tablet, {"heart_rate": "112", "respiratory_rate": "22", "spo2": "94"})
    tablet.tap("field_heart_rate")
    tap_keys(tablet, "260")
    tablet.tap("pad_ok")
    assert tablet.text("pad_message") == "Puls 260 /min er usædvanlig. Er værdien rigtig?"
    tablet.screenshot(screenshots / "04-pad-confirm.png")
    tablet.tap("pad_confirm")
    assert "Puls: 260 /min (bekræftet usædvanlig)" in tablet.text("vitals_registered")
    tablet.tap("vitals_save_set")
    assert tablet.text("vitals_set_status") == "Dette sæt: 0 værdier · 3 sæt gemt"
    tablet.screenshot(screenshots / "05-pad-registered.png")
    tablet.tap("vitals_back")

    assert tablet.text("journal_trend").startswith("Puls: 88 · 112 · 260")
    assert tablet.text("journal_news2").startswith("NEWS2")
    assert tablet.text("journal_author") == "Skriver: Demo Ambulancebehandler"
    tablet.command("type", id="journal_author_pin", text="2580")
    tablet.tap("author_demo2")  # the other member's PIN does not switch
    assert tablet.text("journal_author_error") == "Forkert PIN for Demo Paramediciner."
    tablet.command("type", id="journal_author_pin", text="1357")
    tablet.tap("author_demo2")
    assert tablet.text("journal_author") == "Skriver: Demo Paramediciner"
    tablet.tap("arrest_rhythm_vf")
    tablet.tap("arrest_shock_200")
    assert "stød 200 J" in tablet.text("journal_timeline")
    tablet.tap("journal_medication")
    tablet.tap("med_N02BE01")
    tablet.command("type", id="med_dose", text="1000")
    tablet.tap("med_route_iv")
    tablet.tap("med_save")  # no legal basis yet: said on the spot, nothing saved
    assert tablet.text("med_error") == "Vælg det juridiske grundlag."
    tablet.tap("basis_standing_protocol")
    tablet.command("type", id="med_protocol_id", text="RN-PARA-07")
    tablet.command("type", id="med_protocol_version", text="3")
    tablet.tap("med_save")
    assert tablet.text("med_saved").startswith("Gemt: Paracetamol 1000 mg iv (rammedelegation RN-PARA-07 v3)")
    tablet.screenshot(screenshots / "06b-medication.png")
    tablet.tap("med_back")
    tablet.tap("mark_leaving_scene")
    assert "Afgang skadested" in tablet.text("mark_leaving_scene")
    assert "Demo Paramediciner" in tablet.text("journal_timeline")

    tablet.tap("journal_gcs_open")  # GCS beside ACVPU: the published descriptors, the total computed
    for choice in ("gcs_eye_3", "gcs_verbal_4"):
        tablet.tap(choice)
    tablet.tap("gcs_save")  # motor not chosen: refused on the spot, the picks kept
    assert tablet.text("gcs_error").startswith("Vælg også: Motorik (M)")
    tablet.tap("gcs_motor_6")
    assert tablet.text("gcs_preview") == "GCS 13 (E3 V4 M6)"
    tablet.screenshot(screenshots / "06c-gcs.png")
    tablet.tap("gcs_save")
    assert tablet.screen() == "journal"
    assert tablet.text("journal_gcs_open") == "GCS 13 (E3 V4 M6)"
    assert tablet.text("journal_toks").startswith("TOKS")

    tablet.tap("journal_edit_times")  # the on-scene time, set afterwards: 5 minutes earlier, estimated
    tablet.tap("time_event_on_scene")
    tablet.tap("time_minus_5")
    tablet.tap("time_save")  # an existing time is corrected only with a reason
    assert tablet.text("time_error") == "Skriv en begrundelse."
    tablet.tap("time_reason_later")
    tablet.tap("time_save")
    assert tablet.text("time_error") == ""
    tablet.screenshot(screenshots / "06d-time-edit.png")
    tablet.tap("time_back")

    tablet.tap("journal_review")  # the struck original stays readable with who/when/why
    assert "Registreret efterfølgende" in tablet.text("review_history")
    tablet.tap("entry_0")
    tablet.tap("review_retract")  # no reason: refused, nothing retracted
    assert tablet.text("review_error") == "Skriv en begrundelse."
    tablet.screenshot(screenshots / "06e-review.png")
    tablet.tap("review_back")
    tablet.screenshot(screenshots / "06-journal.png")

    tablet.tap("journal_history")  # chief complaint and allergies: "no known" is its own answer
    tablet.command("type", id="complaint_text", text="Brystsmerter siden kl. 12")
    tablet.tap("complaint_save")  # no category: said on the spot, the words kept
    assert tablet.text("complaint_error").startswith("Vælg hovedklagens kategori")
    assert tablet.text("complaint_text") == "Brystsmerter siden kl. 12"
    tablet.tap("category_chest_pain")
    tablet.tap("complaint_save")
    assert tablet.text("history_saved") == "Hovedklage gemt: Brystsmerter siden kl. 12"
    tablet.tap("allergy_none_known")
    tablet.tap("history_save")
    assert tablet.text("history_saved") == "Anamnese gemt"
    tablet.screenshot(screenshots / "06g-history.png")
    tablet.tap("history_back")
    tablet.tap("journal_abcde")
    tablet.tap("abcde_airway_normal")
    tablet.tap("abcde_breathing_abnormal")
    tablet.tap("abcde_save")  # an abnormal letter without its finding: refused, naming the letter
    assert tablet.text("abcde_error") == "B Vejrtrækning: beskriv det unormale fund."
    tablet.command("type", id="abcde_breathing", text="RF 24, hvæsen")
    tablet.tap("abcde_save")
    assert tablet.text("abcde_latest") == "Seneste: A: Normal. B: Unormal: RF 24, hvæsen."
    tablet.screenshot(screenshots / "06h-abcde.png")
    tablet.tap("abcde_pass")  # PASS from D: the preview is the journal's own score
    tablet.tap("pass_gaze_abnormal")
    tablet.tap("pass_arm_weakness_abnormal")
    tablet.tap("pass_save")  # one item not assessed: named, nothing saved
    assert tablet.text("pass_error") == "Vurdér også: Spørgsmål om måned og alder."
    tablet.tap("pass_loc_questions_normal")
    assert tablet.text("pass_preview") == "PASS 2 (mistanke om storkarsokklusion)"
    tablet.tap("pass_save")
    assert tablet.text("pass_saved") == "Gemt: PASS 2 (mistanke om storkarsokklusion)"
    tablet.screenshot(screenshots / "06i-pass.png")
    tablet.tap("pass_back")
    tablet.tap("abcde_back")
    tablet.tap("journal_procedures")
    tablet.tap("procedure_0")
    tablet.tap("procedure_outcome_successful")
    tablet.tap("procedure_save")
    assert tablet.text("procedure_done").endswith(
        "Perifer venøs adgang (PVK) (lykkedes) · Demo Paramediciner"
    )
    tablet.screenshot(screenshots / "06f-procedures.png")
    tablet.tap("procedure_back")

    tablet.tap("journal_handover")
    assert tablet.screen() == "handover"
    assert "250947-9989" in tablet.text("handover_text")
    assert "ingen kendte allergier" in tablet.text("handover_text")
    assert "disposition" in tablet.text("handover_missing")
    tablet.tap("handover_sign")
    assert tablet.text("handover_saved") == "Journalen er underskrevet."
    tablet.screenshot(screenshots / "07-handover.png")
    tablet.tap("handover_back")

    tablet.tap("journal_episode")
    assert tablet.screen() == "transport"
    tablet.command("type", id="dest_hospital", text="Odense Universitetshospital")
    tablet.command("type", id="dest_eta", text="25:10")
    tablet.tap("dest_save")  # not a clock time: said on the field, nothing saved, nothing cleared
    assert tablet.text("dest_error") == "Skriv ETA som et klokkeslæt, fx 14:35."
    assert tablet.text("dest_hospital") == "Odense Universitetshospital"
    tablet.command("type", id="dest_eta", text="", replace=True)
    tablet.tap("alert_stemi")
    tablet.tap("dest_save")
    assert tablet.text("dest_notice").startswith("Uden SOR-kode")
    tablet.tap("urgency_B")
    assert tablet.text("episode_saved") == "Gemt: kørsel B"
    tablet.screenshot(screenshots / "09-transport.png")
    tablet.tap("transport_disposition")
    tablet.tap("outcome_transported")
    tablet.tap("disposition_save")
    tablet.command("type", id="notes_text", text="Datter informeret.")
    tablet.tap("notes_save")
    assert "Datter informeret." in tablet.text("notes_list")
    tablet.screenshot(screenshots / "10-disposition.png")
    tablet.tap("disposition_back")
    assert "Kørsel B" in tablet.text("journal_timeline")
    tablet.tap("journal_back")
    assert tablet.text("journal_0").startswith("CPR 250947-9989 · patientkontakt")
    assert tablet.text("journal_0").endswith("Transporteret til hospital")
    assert re.match(r"\d+ registreringer venter", tablet.text("journals_sync"))
    tablet.screenshot(screenshots / "03-journals.png")

    tablet.tap("journals_lock")
    assert tablet.screen() == "lock"
    tap_keys(tablet, "1234", prefix="lock_")
    tablet.tap("lock_submit")
    assert tablet.text("lock_message") == "Forkert PIN. 4 forsøg tilbage."
    tap_keys(tablet, "2580", prefix="lock_")
    tablet.tap("lock_submit")
    assert tablet.screen() == "journals"  # locking is not logging out
    assert tablet.text("journal_0").startswith("CPR 250947-9989")


def test_the_command_line_chooses_english_and_the_high_contrast_theme(
    virtual_screen: VirtualScreen, tmp_path: Path, screenshots: Path, app_env: dict[str, str | None]
) -> None:
    tablet = RunningTablet(
        screen=virtual_screen,
        home=tmp_path / "home",
        args=["--lang", "en", "--high-contrast", "--size", "1280x800"],
        extra_env=app_env,
    )
    try:
        assert tablet.text("login_title") == "Log in to PPJ"
        assert tablet.text("login_language") == "Dansk"
        tablet.screenshot(screenshots / "08-login-en-high-contrast.png")
    finally:
        tablet.close()


def test_a_tablet_without_a_device_credential_asks_for_its_enrolment_code_first(
    virtual_screen: VirtualScreen, tmp_path: Path, screenshots: Path, app_env: dict[str, str | None]
) -> None:
    nobody = free_port()  # nothing listens there: the code goes nowhere, and the screen says so
    tablet = RunningTablet(
        screen=virtual_screen,
        home=tmp_path / "home",
        args=["--server", f"http://127.0.0.1:{nobody}"],
        extra_env={**app_env, "PPJ_TABLET_DEVICE_CREDENTIAL": None},
    )
    try:
        assert tablet.screen() == "enrol"
        tablet.command("type", id="enrol_code", text="ABCD-EFGH")
        tablet.tap("enrol_submit")
        assert tablet.text("enrol_error") == "En engangskode er 12 bogstaver og tal."
        tablet.command("type", id="enrol_code", text="-JKLM")
        tablet.tap("enrol_submit")
        deadline = time.monotonic() + 20
        while tablet.text("enrol_error") == "" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert tablet.text("enrol_error") == "Ingen forbindelse til serveren. Prøv igen."
        assert tablet.text("enrol_code") == "ABCD-EFGH-JKLM"
        tablet.screenshot(screenshots / "11-enrol.png")
    finally:
        tablet.close()
