"""The package loader: canonical URLs resolve within a package's own dependencies, substitutions are said."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcom.errors import PackageError
from medcom.fhir_packages import PackageRegistry, load_package

PROVENANCE = "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance"


def package(registry: PackageRegistry, name: str) -> object:
    return next(p for p in registry.packages if p.name == name)


def test_a_canonical_url_resolves_to_the_version_the_asking_package_depends_on(
    registry: PackageRegistry,
) -> None:
    ack = next(p for p in registry.packages if p.name == "medcom.fhir.dk.acknowledgement")
    cc = next(p for p in registry.packages if p.name == "medcom.fhir.dk.carecommunication")
    from_ack, from_cc = registry.resolve(PROVENANCE, ack), registry.resolve(PROVENANCE, cc)
    assert from_ack is not None and from_cc is not None
    assert from_ack[1].label == "medcom.fhir.dk.messaging#2.1.0"
    assert from_cc[1].label == "medcom.fhir.dk.messaging#4.0.2"


def test_a_missing_dependency_version_is_substituted_and_reported(registry: PackageRegistry) -> None:
    ack = next(p for p in registry.packages if p.name == "medcom.fhir.dk.acknowledgement")
    _, substitutions = registry.closure(ack)
    dk_core = next(
        s for s in substitutions if s.package == "hl7.fhir.dk.core" and s.requested_by == ack.label
    )
    assert (dk_core.wanted, dk_core.used) == ("2.0.0", "3.4.0")
    medcom_core = next(
        s for s in substitutions if s.package == "medcom.fhir.dk.core" and s.requested_by == ack.label
    )
    assert (medcom_core.wanted, medcom_core.used) == ("2.0.1", "2.0.0")


def test_an_unknown_url_resolves_to_nothing(registry: PackageRegistry) -> None:
    assert registry.resolve("http://example.org/nothing", None) is None


def test_a_file_that_is_not_a_package_is_refused_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "broken.tgz"
    bad.write_bytes(b"not a tarball")
    with pytest.raises(PackageError, match="broken.tgz"):
        load_package(bad)


def test_a_missing_package_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="does not exist"):
        PackageRegistry([tmp_path / "nowhere"])
