"""``ppj medcom validate`` and ``ppj medcom ack`` as an integrator uses them."""

from __future__ import annotations

import json
from pathlib import Path

from medcom_examples import EXAMPLES, FIRST_CC, HISTORICAL_CARE_COMMUNICATION_3, PACKAGES, load_example
from typer.testing import CliRunner

from medcom.fhir_xml import json_to_xml
from ppj.cli import app

runner = CliRunner()


def test_a_valid_message_exits_zero_and_says_valid() -> None:
    result = runner.invoke(app, ["medcom", "validate", "--packages", str(PACKAGES), str(EXAMPLES / FIRST_CC)])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith(": valid")


def test_an_invalid_message_exits_one_with_one_line_per_issue() -> None:
    path = EXAMPLES / HISTORICAL_CARE_COMMUNICATION_3[0]
    result = runner.invoke(app, ["medcom", "validate", "--packages", str(PACKAGES), str(path)])
    assert result.exit_code == 1
    assert any(
        line.split(": ", 1)[1].startswith("error") and "MessageHeader.definition" in line
        for line in result.output.splitlines()
        if ": " in line
    )


def test_json_output_is_an_operation_outcome() -> None:
    path = EXAMPLES / HISTORICAL_CARE_COMMUNICATION_3[0]
    result = runner.invoke(app, ["medcom", "validate", "--json", "--packages", str(PACKAGES), str(path)])
    outcome = json.loads(result.output)
    assert outcome["resourceType"] == "OperationOutcome"
    assert any(i["severity"] == "error" and i["expression"] for i in outcome["issue"])


def test_a_file_that_is_not_fhir_is_a_clear_fatal_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just text", encoding="utf-8")
    result = runner.invoke(app, ["medcom", "validate", "--packages", str(PACKAGES), str(path)])
    assert result.exit_code == 1
    assert "fatal" in result.output and "neither JSON nor XML" in result.output


def test_a_huge_file_is_refused_by_the_size_option(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["medcom", "validate", "--max-bytes", "100", "--packages", str(PACKAGES), str(EXAMPLES / FIRST_CC)],
    )
    assert result.exit_code == 1
    assert "more than the limit of 100 bytes" in result.output


def test_ack_prints_an_acknowledgement_bundle() -> None:
    result = runner.invoke(app, ["medcom", "ack", "--packages", str(PACKAGES), str(EXAMPLES / FIRST_CC)])
    assert result.exit_code == 0, result.output
    ack = json.loads(result.output)
    assert ack["entry"][0]["resource"]["response"]["code"] == "ok"


def test_an_xml_message_is_validated_like_its_json(tmp_path: Path) -> None:
    path = tmp_path / "message.xml"
    path.write_bytes(json_to_xml(load_example(FIRST_CC)))
    result = runner.invoke(app, ["medcom", "validate", "--packages", str(PACKAGES), str(path)])
    assert result.exit_code == 0, result.output


def test_a_missing_package_directory_exits_two_with_a_message(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["medcom", "validate", "--packages", str(tmp_path / "none"), str(EXAMPLES / FIRST_CC)]
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_build_prints_the_handover_a_transported_patients_journal_calls_for() -> None:
    result = runner.invoke(app, ["medcom", "build", "--journal", "stemi", "--type", "handover"])
    assert result.exit_code == 0, result.output
    bundle = json.loads(result.output)
    assert bundle["entry"][0]["resource"]["eventCoding"]["code"] == "prehospital-handover-message"


def test_build_refuses_a_message_the_journal_does_not_call_for_with_the_reason() -> None:
    result = runner.invoke(app, ["medcom", "build", "--journal", "stemi", "--type", "epikrise"])
    assert result.exit_code == 2
    assert "treated_and_released" in result.output


def test_build_wraps_in_a_vans_envelope_with_xml_inside() -> None:
    result = runner.invoke(
        app,
        ["medcom", "build", "--journal", "hypoglycaemia-released", "--type", "homecare", "--vans", "--xml"],
    )
    assert result.exit_code == 0, result.output
    assert "urn:oio:medcom:vans-envelope:1.0.4" in result.output
    assert "application/fhir+xml" in result.output


def test_a_built_handover_validates_with_the_package_built_by_the_cli(tmp_path: Path) -> None:
    packaged = runner.invoke(
        app, ["medcom", "package", "--out", str(tmp_path / "own"), "--packages", str(PACKAGES)]
    )
    assert packaged.exit_code == 0, packaged.output
    message = tmp_path / "handover.json"
    message.write_text(
        runner.invoke(app, ["medcom", "build", "--journal", "stemi", "--type", "handover"]).output
    )
    validated = runner.invoke(
        app,
        [
            "medcom",
            "validate",
            "--packages",
            str(PACKAGES),
            "--own-packages",
            str(tmp_path / "own"),
            str(message),
        ],
    )
    assert validated.exit_code == 0, validated.output
