"""FHIR XML ⇄ the FHIR JSON structure, driven by the element types of the R4B models.

XML → JSON: primitive elements carry their value in ``@value`` and become JSON values (booleans and
numbers typed by the element's FHIR type), their ``id``/``extension`` go to the ``_name`` sidecar;
elements that may repeat become arrays; resources inside ``resource``/``contained`` are unwrapped; the
narrative ``div`` is kept as an XHTML string. JSON → XML writes elements in the models' element order.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from lxml import etree

from medcom.errors import NotAFhirResourceError
from medcom.fhir_structure import PRIMITIVE_TYPES, ElementNode, base_tree, is_model_name, is_resource_type

FHIR_NS = "http://hl7.org/fhir"
XHTML_NS = "http://www.w3.org/1999/xhtml"
_F = f"{{{FHIR_NS}}}"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _child_node(owner: str, name: str) -> tuple[ElementNode | None, str | None]:
    """The base node of child ``name`` (a JSON key, e.g. ``valueCoding``) of type ``owner`` and its type."""
    children = base_tree(owner).children
    node = children.get(name)
    if node is not None:
        return node, node.types[0].code if node.types else None
    for candidate in children.values():
        if candidate.is_choice and name.startswith(candidate.base_name):
            suffix = name[len(candidate.base_name) :]
            for type_ref in candidate.types:
                if type_ref.code[:1].upper() + type_ref.code[1:] == suffix:
                    return candidate, type_ref.code
    return None, None


def _nested_model(node: ElementNode, type_code: str | None) -> str | None:
    if node.model_name:
        return node.model_name
    if type_code and is_model_name(type_code):
        return type_code
    return None


def _primitive_value(type_code: str, raw: str) -> Any:
    if type_code == "boolean":
        return raw == "true"
    if type_code in ("integer", "unsignedInt", "positiveInt", "integer64"):
        try:
            return int(raw)
        except ValueError:
            return raw
    if type_code == "decimal":
        try:
            number = Decimal(raw)
        except ArithmeticError:
            return raw
        return int(number) if number == number.to_integral_value() and "." not in raw else float(number)
    return raw


def xml_to_json(root: Any) -> dict[str, Any]:
    """The FHIR JSON structure of a parsed FHIR XML resource element."""
    if not isinstance(root.tag, str) or not root.tag.startswith(_F) or not is_model_name(_local(root.tag)):
        raise NotAFhirResourceError(
            f"the XML root element <{_local(str(root.tag))}> is not a FHIR resource in namespace {FHIR_NS}"
        )
    return _resource(root)


def _resource(element: Any) -> dict[str, Any]:
    rtype = _local(element.tag)
    out: dict[str, Any] = {"resourceType": rtype}
    _fill(out, element, rtype)
    return out


def _fill(out: dict[str, Any], element: Any, owner: str) -> None:
    if element.get("id") is not None and owner not in ("Resource",) and "id" not in out:
        out["id"] = element.get("id")
    if element.get("url") is not None and owner == "Extension":
        out["url"] = element.get("url")
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = _local(child.tag)
        if child.tag == f"{{{XHTML_NS}}}div":
            out["div"] = etree.tostring(child, encoding="unicode", with_tail=False)
            continue
        node, type_code = _child_node(owner, name)
        repeats = node is not None and node.base_max != 1
        if type_code == "Resource" or (node is not None and type_code == "Resource"):
            inner = next((c for c in child if isinstance(c.tag, str)), None)
            value: Any = _resource(inner) if inner is not None else {}
            _put(out, name, value, repeats)
            continue
        if node is None:
            # unknown element: kept so that the validator reports it by name
            _put(out, name, _unknown(child), False)
            continue
        if type_code in PRIMITIVE_TYPES:
            raw = child.get("value")
            sidecar: dict[str, Any] = {}
            if child.get("id") is not None:
                sidecar["id"] = child.get("id")
            extensions = [_complex(e, "Extension") for e in child if isinstance(e.tag, str)]
            if extensions:
                sidecar["extension"] = extensions
            _put_primitive(
                out, name, None if raw is None else _primitive_value(type_code, raw), sidecar, repeats
            )
            continue
        model = _nested_model(node, type_code)
        _put(out, name, _complex(child, model) if model else _unknown(child), repeats)


def _complex(element: Any, model: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _fill(out, element, model)
    return out


def _unknown(element: Any) -> Any:
    return element.get("value") if element.get("value") is not None else {"_xml": _local(element.tag)}


def _put(out: dict[str, Any], name: str, value: Any, repeats: bool) -> None:
    if repeats:
        out.setdefault(name, []).append(value)
    else:
        out[name] = value


def _put_primitive(
    out: dict[str, Any], name: str, value: Any, sidecar: dict[str, Any], repeats: bool
) -> None:
    if not repeats:
        if value is not None:
            out[name] = value
        if sidecar:
            out["_" + name] = sidecar
        return
    values = out.setdefault(name, [])
    sidecars = out.get("_" + name)
    values.append(value)
    if sidecar or sidecars is not None:
        if sidecars is None:
            sidecars = out["_" + name] = [None] * (len(values) - 1)
        sidecars.append(sidecar or None)


# --- JSON → XML ------------------------------------------------------------------------------------------


def json_to_xml(resource: dict[str, Any]) -> bytes:
    """FHIR XML for a FHIR JSON resource (element order from the R4B models)."""
    root = _resource_element(resource)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _resource_element(resource: dict[str, Any]) -> Any:
    rtype = str(resource["resourceType"])
    element = etree.Element(_F + rtype, nsmap={None: FHIR_NS})
    _write_children(element, resource, rtype)
    return element


def _ordered_keys(value: dict[str, Any], owner: str) -> list[str]:
    order = {name: i for i, name in enumerate(base_tree(owner).children)}
    keys = [k for k in value if k != "resourceType" and not k.startswith("_")]
    keys += [k[1:] for k in value if k.startswith("_") and k[1:] not in value]

    def rank(key: str) -> int:
        if key in order:
            return order[key]
        for name, index in order.items():
            if name.endswith("[x]") and key.startswith(name[:-3]):
                return index
        return len(order)

    return sorted(keys, key=rank)


def _write_children(parent: Any, value: dict[str, Any], owner: str) -> None:
    for key in _ordered_keys(value, owner):
        if owner == "Extension" and key == "url":
            parent.set("url", str(value["url"]))
            continue
        if key == "id" and owner not in ("Resource",) and not is_resource_type(owner):
            parent.set("id", str(value["id"]))
            continue
        node, type_code = _child_node(owner, key)
        raw = value.get(key)
        sidecar = value.get("_" + key)
        items = raw if isinstance(raw, list) else [raw]
        sidecars = sidecar if isinstance(sidecar, list) else [sidecar] * len(items)
        for index, item in enumerate(items):
            if key == "div" and isinstance(item, str):
                parent.append(etree.fromstring(item.encode("utf-8")))
                continue
            child = etree.SubElement(parent, _F + key)
            if node is None or type_code is None:
                child.text = json.dumps(item)
                continue
            if type_code == "Resource" and isinstance(item, dict):
                child.append(_resource_element(item))
            elif type_code in PRIMITIVE_TYPES:
                if item is not None:
                    child.set("value", _xml_primitive(item))
                extra = sidecars[index] if index < len(sidecars) else None
                if isinstance(extra, dict):
                    if "id" in extra:
                        child.set("id", str(extra["id"]))
                    for extension in extra.get("extension", []):
                        ext = etree.SubElement(child, _F + "extension")
                        _write_children(ext, extension, "Extension")
            elif isinstance(item, dict):
                model = _nested_model(node, type_code)
                if model:
                    _write_children(child, item, model)


def _xml_primitive(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


__all__ = ["json_to_xml", "xml_to_json"]
