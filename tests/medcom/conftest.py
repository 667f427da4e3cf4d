"""Fixtures for the medcom tests: one warm Validator over the official packages per session."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from medcom_examples import FIRST_CC, PACKAGES, load_example

from medcom.fhir_packages import PackageRegistry
from medcom.fhir_validator import Validator
from medcom.ppj_package import build_package


@pytest.fixture(scope="session")
def registry() -> PackageRegistry:
    return PackageRegistry([PACKAGES])


@pytest.fixture(scope="session")
def validator(registry: PackageRegistry) -> Validator:
    return Validator(registry)


@pytest.fixture(scope="session")
def ppj_validator(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    """The official packages plus PPJ's own package, built from source into a temp dir."""
    own = tmp_path_factory.mktemp("ppj-package")
    build_package(own, registry=PackageRegistry([PACKAGES]))
    return Validator(PackageRegistry([PACKAGES, own]))


@pytest.fixture
def care_communication() -> dict[str, Any]:
    """A fresh copy of the first official CareCommunication 5.0.2 example, to break."""
    return copy.deepcopy(load_example(FIRST_CC))
