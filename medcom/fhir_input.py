"""Reading an instance to validate: size limit, JSON or XML, and "is this a FHIR resource at all"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lxml import etree

from medcom.errors import InputTooLargeError, NotAFhirResourceError, NotJsonOrXmlError
from medcom.fhir_structure import is_model_name
from medcom.fhir_xml import xml_to_json

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


def read_instance(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """The FHIR JSON structure of the file; raises an InputError subclass saying why it cannot be."""
    size = path.stat().st_size
    if size > max_bytes:
        raise InputTooLargeError(
            f"{path}: {size} bytes is more than the limit of {max_bytes} bytes; not read"
        )
    return parse_instance(path.read_bytes(), source=str(path), max_bytes=max_bytes)


def parse_instance(
    data: bytes, *, source: str = "input", max_bytes: int = DEFAULT_MAX_BYTES
) -> dict[str, Any]:
    if len(data) > max_bytes:
        raise InputTooLargeError(f"{source}: {len(data)} bytes is more than the limit of {max_bytes} bytes")
    text_start = data.lstrip()[:1]
    if text_start in (b"{", b"["):
        try:
            parsed = json.loads(data.decode("utf-8-sig"), object_pairs_hook=_no_duplicate_keys)
        except (UnicodeDecodeError, ValueError) as exc:
            raise NotJsonOrXmlError(f"{source}: not well-formed JSON ({exc})") from exc
        except RecursionError as exc:
            raise NotJsonOrXmlError(f"{source}: JSON nested too deeply to be a FHIR resource") from exc
        return _fhir_json(parsed, source)
    if text_start == b"<" or data.startswith(b"\xef\xbb\xbf<"):
        try:
            root = etree.fromstring(data, parser=_SAFE_XML)
        except etree.XMLSyntaxError as exc:
            raise NotJsonOrXmlError(f"{source}: not well-formed XML ({exc})") from exc
        try:
            return xml_to_json(root)
        except NotAFhirResourceError as exc:
            raise NotAFhirResourceError(f"{source}: {exc}") from exc
    raise NotJsonOrXmlError(f"{source}: neither JSON nor XML (a FHIR message starts with '{{' or '<')")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON objects with a repeated key are ambiguous (parsers keep either value); FHIR forbids them."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"property {key!r} appears twice in one object")
        out[key] = value
    return out


def _fhir_json(parsed: Any, source: str) -> dict[str, Any]:
    if not isinstance(parsed, dict):
        raise NotAFhirResourceError(
            f"{source}: JSON {type(parsed).__name__} is not a FHIR resource (an object)"
        )
    rtype = parsed.get("resourceType")
    if not isinstance(rtype, str):
        raise NotAFhirResourceError(f"{source}: JSON object without 'resourceType' is not a FHIR resource")
    if not is_model_name(rtype):
        raise NotAFhirResourceError(f"{source}: resourceType {rtype!r} is not a FHIR R4 resource type")
    return parsed
