"""``ppj medcom …``: validate MedCom/FHIR messages against the official packages, and acknowledge them."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from medcom.acknowledgement import build_acknowledgement
from medcom.errors import MedcomError
from medcom.fhir_input import DEFAULT_MAX_BYTES, read_instance
from medcom.fhir_packages import PackageRegistry, default_package_dirs
from medcom.fhir_validator import Validator

app = typer.Typer(help="MedCom FHIR messages: profile validation and acknowledgements.", no_args_is_help=True)

PACKAGES_HELP = (
    "Directory of FHIR IG packages (.tgz); repeat for more (e.g. our own packages). "
    "Default: $PPJ_FHIR_PACKAGES or the shared reference packages."
)


OWN_HELP = "A further package directory (e.g. PPJ's own profiles) added to the packages; repeatable."


def make_validator(packages: list[Path] | None, own: list[Path] | None = None) -> Validator:
    return Validator(PackageRegistry([*(packages or default_package_dirs()), *(own or [])]))


@app.command()
def validate(
    paths: list[Path] = typer.Argument(..., help="FHIR JSON or XML files to validate."),
    packages: list[Path] = typer.Option(None, "--packages", help=PACKAGES_HELP),
    own_packages: list[Path] = typer.Option(None, "--own-packages", help=OWN_HELP),
    profile: list[str] = typer.Option(None, "--profile", help="Also validate against this profile URL."),
    as_json: bool = typer.Option(False, "--json", help="Print the OperationOutcome (one per file) as JSON."),
    max_bytes: int = typer.Option(DEFAULT_MAX_BYTES, "--max-bytes", help="Refuse files larger than this."),
) -> None:
    """Validate messages; exit 0 when no file has errors, 1 otherwise."""
    validator: Validator | None = None  # built on first need: unreadable files need no packages
    failed = False
    for path in paths:
        try:
            instance = read_instance(path, max_bytes=max_bytes)
        except (MedcomError, OSError) as exc:
            failed = True
            if as_json:
                outcome = {
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "fatal", "code": "structure", "diagnostics": str(exc)}],
                }
                print(json.dumps(outcome, ensure_ascii=False, indent=2))
            else:
                print(f"{path}: fatal      -: {str(exc).removeprefix(f'{path}: ')}")
            continue
        if validator is None:
            try:
                validator = make_validator(packages, own_packages)
            except MedcomError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(2) from exc
        result = validator.validate(instance, profiles=profile or ())
        failed = failed or not result.is_valid
        if as_json:
            print(json.dumps(result.to_operation_outcome(), ensure_ascii=False, indent=2))
            continue
        for issue in result.issues:
            print(f"{path}: {issue.line()}")
        verdict = "valid" if result.is_valid else f"INVALID ({len(result.errors)} error(s))"
        print(f"{path}: {verdict}")
    raise typer.Exit(1 if failed else 0)


@app.command()
def ack(
    path: Path = typer.Argument(..., help="The received message (FHIR JSON or XML)."),
    packages: list[Path] = typer.Option(None, "--packages", help=PACKAGES_HELP),
    own_packages: list[Path] = typer.Option(None, "--own-packages", help=OWN_HELP),
    max_bytes: int = typer.Option(DEFAULT_MAX_BYTES, "--max-bytes", help="Refuse files larger than this."),
) -> None:
    """Print the MedCom Acknowledgement 2.0 a receiver would send for the message."""
    try:
        validator = make_validator(packages, own_packages)
        message = read_instance(path, max_bytes=max_bytes)
        result = validator.validate(message)
        acknowledgement = build_acknowledgement(message=message, result=result, validator=validator)
    except (MedcomError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    print(json.dumps(acknowledgement, ensure_ascii=False, indent=2))


JOURNAL_HELP = (
    "The journal: until the server stores journals, the name of a demo scenario "
    "(stemi, stroke, trauma, cardiac-arrest, hypoglycaemia-released, copd-scale-2, unknown-patient)."
)


@app.command()
def build(
    journal: str = typer.Option(..., "--journal", help=JOURNAL_HELP),
    message_type: str = typer.Option(..., "--type", help="handover | epikrise | homecare"),
    vans: bool = typer.Option(False, "--vans", help="Wrap the message in a VANSEnvelope 1.0.4."),
    xml: bool = typer.Option(False, "--xml", help="FHIR XML instead of JSON."),
) -> None:
    """Print the message the journal calls for, for inspection (demo organisations from MedCom's examples).

    Exit 2 with the reason when the journal does not call for this message type."""
    from datetime import UTC, datetime

    from journal.demo.scenarios import scenarios
    from journal.fold import fold_linked
    from medcom.fhir_xml import json_to_xml
    from medcom.journal_messages import DEMO_ORGANISATIONS, DEMO_RECEIVER_OF, MESSAGE_TYPES, build_message
    from medcom.vans_envelope import wrap

    chosen = next((t for t in MESSAGE_TYPES if t == message_type), None)
    if chosen is None:
        typer.echo(f"error: --type must be one of {', '.join(MESSAGE_TYPES)}", err=True)
        raise typer.Exit(2)
    scenario = next((s for s in scenarios() if s.name == journal), None)
    if scenario is None:
        typer.echo(
            f"error: no journal {journal!r} (journals by id come with the server; use a scenario)", err=True
        )
        raise typer.Exit(2)
    state = fold_linked(scenario.entries)[0]
    sender = DEMO_ORGANISATIONS["sender"]
    receiver = DEMO_ORGANISATIONS[DEMO_RECEIVER_OF[chosen]]
    try:
        built = build_message(state=state, message_type=chosen, sender=sender, receiver=receiver)
        if vans:
            output = wrap(
                built.bundle,
                sender_gln=sender.gln,
                receiver_gln=receiver.gln,
                sent_at=datetime.now(UTC),
                xml=xml,
            )
        else:
            output = json_to_xml(built.bundle) if xml else built.to_json(pretty=True)
    except MedcomError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    print(output.decode("utf-8"))


@app.command()
def package(
    out: Path = typer.Option(..., "--out", help="Directory to write ppj.fhir.handover-<version>.tgz into."),
    packages: list[Path] = typer.Option(None, "--packages", help=PACKAGES_HELP),
) -> None:
    """Build PPJ's own FHIR package (handover profiles with generated snapshots) for --own-packages."""
    from medcom.ppj_package import build_package

    try:
        path = build_package(out, registry=PackageRegistry(packages or default_package_dirs()))
    except MedcomError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    print(path)


@app.command()
def receiver(
    port: int = typer.Option(8090, help="Port on 127.0.0.1 to listen on."),
    own_packages: list[Path] = typer.Option(None, "--own-packages", help=OWN_HELP),
    fail: int = typer.Option(0, "--fail", help="Answer the first N requests with HTTP 503."),
    delay: float = typer.Option(0.0, "--delay", help="Seconds to wait before each answer."),
    duplicate: bool = typer.Option(False, "--duplicate", help="Hand each message to the receiver twice."),
    transient: int = typer.Option(0, "--transient", help="Answer the first N messages with transient-error."),
    acks_to: str | None = typer.Option(
        None,
        "--acks-to",
        help="Answer 202 and post each Acknowledgement later to this URL (PPJ: …/medcom/acknowledgements).",
    ),
    token: str | None = typer.Option(
        None, "--token", envvar="PPJ_RECEIVER_TOKEN", help="Bearer token of a receiver_system account."
    ),
) -> None:
    """Run a receiver simulator (hospital EPJ, GP system, municipality) that validates and acknowledges.

    POST FHIR messages (JSON or XML) to the printed URL; Ctrl-C stops it."""
    import time

    import httpx2

    from integrations.receiver_simulator.server import Behaviour, ReceiverSimulator
    from medcom.receiver import MessageReceiver

    try:
        validator = make_validator(None, own_packages)
    except MedcomError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    simulator = ReceiverSimulator(
        handler=MessageReceiver(validator=validator),
        port=port,
        behaviour=Behaviour(
            fail_next=fail,
            delay_seconds=delay,
            duplicate_delivery=duplicate,
            transient_next=transient,
            defer_acks=acks_to is not None,
        ),
    )
    http = httpx2.Client(timeout=30, headers={"Authorization": f"Bearer {token}"} if token else {})

    def post(body: bytes) -> int:
        assert acks_to is not None
        try:
            return http.post(acks_to, content=body).status_code
        except httpx2.HTTPError:
            return 503  # kept and posted again on the next round

    with simulator.running():
        print(f"receiver simulator listening at {simulator.url}", flush=True)
        try:
            while True:
                time.sleep(1)
                if acks_to is not None:
                    for status in simulator.post_deferred_acks(post):
                        print(f"acknowledgement posted to {acks_to}: HTTP {status}", flush=True)
        except KeyboardInterrupt:
            print(f"stopped after {len(simulator.log)} request(s)")
