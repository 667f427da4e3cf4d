"""The official MedCom examples and packages the tests use, read in place from ../shared."""

from __future__ import annotations

import json
from typing import Any

from medcom.fhir_packages import shared_reference_dir

EXAMPLES = shared_reference_dir() / "reference" / "medcom" / "examples"
PACKAGES = shared_reference_dir() / "reference" / "medcom" / "packages"
CARE_COMMUNICATION_5 = [
    "Bundle-add5e7e2-0c0f-4a4a-bfff-f6f984fa7e3c.json",
    "Bundle-b56549f7-ed10-422d-8088-f7222b686e46.json",
    "Bundle-3dcb5618-3055-406a-9034-1b8fc8de0fea.json",
    "Bundle-c0426e3e-978f-46e8-a366-a30f27854b0a.json",
    "Bundle-d11968f5-4bdf-4b50-b146-a8e1cc890fc3.json",
    "Bundle-gfd00bc2-9c26-4174-934e-f6e4360845de.json",
    "Bundle-0d5b3c18-fab6-4d93-9d88-c9c8abf1f18c.json",
    "Bundle-k7bfbc0c-553d-11ed-bdc3-0242ac120002.json",
]
ACKNOWLEDGEMENT_2 = [
    "Bundle-a8c041b8-c65a-4fde-a90f-962076918834.json",
    "Bundle-bc9535ef-ed94-4060-a928-7baddec7ee71.json",
    "Bundle-c9c2b2f6-0807-11ed-861d-0242ac120002.json",
]
HISTORICAL_CARE_COMMUNICATION_3 = [
    "Bundle-ed3e05b2-551d-11ed-bdc3-0242ac120002.json",
    "Bundle-df9019c6-690d-11ed-9022-0242ac120002.json",
]
FIRST_CC = CARE_COMMUNICATION_5[0]


def load_example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


def resource_of(bundle: dict[str, Any], resource_type: str) -> dict[str, Any]:
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == resource_type:
            resource: dict[str, Any] = entry["resource"]
            return resource
    raise AssertionError(f"no {resource_type} in the Bundle")
