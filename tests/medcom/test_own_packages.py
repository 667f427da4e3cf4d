"""Our own packages, loaded from a second directory, with a profile that slices by profile."""

from __future__ import annotations

import copy
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from medcom_examples import FIRST_CC, PACKAGES, load_example, resource_of

from medcom.fhir_packages import PackageRegistry
from medcom.fhir_validator import Validator

CC_MESSAGE = "http://medcomfhir.dk/ig/carecommunication/StructureDefinition/medcom-careCommunication-message"
PATIENT = "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-patient"
OWN_PROFILE = "http://ppj.example/StructureDefinition/test-message-with-profiled-patient-entry"


def sliced_message_profile(registry: PackageRegistry) -> dict[str, Any]:
    """The CareCommunication message profile with entries sliced by profile: one must be a MedCom patient."""
    cc = next(p for p in registry.packages if p.name == "medcom.fhir.dk.carecommunication")
    definition = copy.deepcopy(cc.resources[CC_MESSAGE])
    definition["url"], definition["id"], definition["name"] = (
        OWN_PROFILE,
        "test-profiled-entry",
        "TestProfiledEntry",
    )
    elements: list[dict[str, Any]] = []
    entry_children: list[dict[str, Any]] = []
    for element in definition["snapshot"]["element"]:
        elements.append(element)
        if element["id"] == "Bundle.entry":
            element["slicing"] = {"discriminator": [{"type": "profile", "path": "resource"}], "rules": "open"}
        elif element["id"].startswith("Bundle.entry."):
            entry_children.append(element)
    slice_elements = [
        {
            **copy.deepcopy(elements[[e["id"] for e in elements].index("Bundle.entry")]),
            "id": "Bundle.entry:patient",
            "sliceName": "patient",
            "min": 1,
            "max": "1",
        }
    ]
    slice_elements[0].pop("slicing")
    for child in entry_children:
        copied = copy.deepcopy(child)
        copied["id"] = "Bundle.entry:patient." + child["id"].removeprefix("Bundle.entry.")
        if copied["id"] == "Bundle.entry:patient.resource":
            copied["type"] = [{"code": "Resource", "profile": [PATIENT]}]
        slice_elements.append(copied)
    last_entry_index = max(i for i, e in enumerate(elements) if e["id"].startswith("Bundle.entry"))
    definition["snapshot"]["element"] = (
        elements[: last_entry_index + 1] + slice_elements + elements[last_entry_index + 1 :]
    )
    return definition


def write_package(directory: Path, definition: dict[str, Any]) -> None:
    manifest = {
        "name": "ppj.test.profiles",
        "version": "0.1.0",
        "dependencies": {"medcom.fhir.dk.carecommunication": "5.0.2"},
    }
    files = {
        "package/package.json": manifest,
        "package/StructureDefinition-test-profiled-entry.json": definition,
    }
    with tarfile.open(directory / "ppj.test.profiles-0.1.0.tgz", "w:gz") as tar:
        for name, content in files.items():
            data = json.dumps(content).encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.fixture(scope="module")
def own_validator(tmp_path_factory: pytest.TempPathFactory, registry: PackageRegistry) -> Validator:
    own = tmp_path_factory.mktemp("own-packages")
    write_package(own, sliced_message_profile(registry))
    return Validator(PackageRegistry([PACKAGES, own]))


def test_a_profile_from_our_own_package_directory_is_found_and_passes_an_official_example(
    own_validator: Validator,
) -> None:
    result = own_validator.validate(load_example(FIRST_CC), profiles=[OWN_PROFILE])
    assert result.errors == (), "\n".join(i.line() for i in result.errors)


def test_a_profile_discriminator_sees_an_entry_that_no_longer_conforms(own_validator: Validator) -> None:
    message = copy.deepcopy(load_example(FIRST_CC))
    resource_of(message, "Patient")["identifier"][0]["value"] = "3209479989"
    messages = [i.message for i in own_validator.validate(message, profiles=[OWN_PROFILE]).errors]
    assert any("slice 'patient'" in m and "minimum required = 1" in m for m in messages)
