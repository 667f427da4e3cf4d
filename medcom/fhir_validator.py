"""Validation of a FHIR R4 instance (JSON structure) against StructureDefinition snapshots.

The walk: a resource is checked against every profile its ``meta.profile`` names (and those the caller
names), or against its base structure (from the R4B models) when it names none. For each element: the
JSON shape, cardinality, primitive types, fixed and pattern values, required bindings, slicing with its
discriminators, invariants (FHIRPath), references (which must resolve inside a message or document
Bundle, to a resource of an allowed type conforming to the target profile), and profiles on types
(identifier profiles, extensions). Nested complex elements without children in the snapshot are checked
against the base structure of their type.

Nothing unresolvable passes silently: an unknown profile, extension definition or value set is a warning
that names it. Compiled profiles, expansions and parsed FHIRPath are cached on the Validator, so a warm
Validator is what a receiver should keep.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from medcom.fhir_packages import Package, PackageRegistry, Substitution
from medcom.fhir_primitives import primitive_problem
from medcom.fhir_structure import (
    PRIMITIVE_TYPES,
    UNBOUNDED,
    Constraint,
    ElementNode,
    TypeRef,
    base_element,
    base_tree,
    build_snapshot_tree,
    find_in_tree,
    is_model_name,
    is_resource_type,
)
from medcom.fhirpath_support import FhirPathEngine, Hooks, native_invariant, satisfied
from medcom.operation_outcome import Issue, Severity, ValidationResult
from medcom.terminology import Membership, Terminology

BASE_PROFILE_PREFIX = "http://hl7.org/fhir/StructureDefinition/"
BUNDLE_TYPES_RESOLVING_REFERENCES = frozenset({"message", "document"})
_FUNCTION_SEGMENT = re.compile(r"^(\w+)\((.*)\)$")


@dataclass(frozen=True)
class Profile:
    """A compiled StructureDefinition: its element tree and the package it was found in."""

    url: str
    type: str
    root: ElementNode
    package: Package


@dataclass
class Frame:
    """Where in the instance the walk is: the resource being checked, its Bundle fullUrl, its profile tree
    (for contentReference) and the package context in which canonical URLs are resolved."""

    resource: dict[str, Any]
    full_url: str | None
    tree: ElementNode
    context: Package | None


@dataclass
class Item:
    """One occurrence of an element in the JSON: the value, its ``_name`` sidecar and its location."""

    key: str
    value: Any
    sidecar: Any
    location: str
    owner_type: str | None = None


@dataclass
class _Run:
    """The state of one validation: issues, the Bundle index, and per-run memo tables."""

    validator: Validator
    root: Any
    issues: list[Issue] = field(default_factory=list)
    seen: set[tuple[str, str, str]] = field(default_factory=set)
    by_full_url: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_type_id: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    full_url_of: dict[int, str] = field(default_factory=dict)
    location_of: dict[int, str] = field(default_factory=dict)
    profile_issues: dict[tuple[int, str], list[Issue]] = field(default_factory=dict)
    warned: set[str] = field(default_factory=set)
    resolves_references: bool = False


class Validator:
    """Validates FHIR instances against the profiles in a PackageRegistry. Reuse one instance: it caches
    compiled profiles, ValueSet expansions and parsed FHIRPath."""

    def __init__(self, registry: PackageRegistry) -> None:
        self.registry = registry
        self.terminology = Terminology(registry)
        self.fhirpath = FhirPathEngine()
        self._profiles: dict[tuple[str, str], Profile | None] = {}

    def profile(self, url: str, context: Package | None) -> Profile | None:
        """The compiled profile for a canonical URL seen from a package, or None when not loaded."""
        key = (url, context.label if context else "")
        if key not in self._profiles:
            found = self.registry.resolve(url, context)
            compiled: Profile | None = None
            if found is not None and found[0].get("resourceType") == "StructureDefinition":
                definition, package = found
                compiled = Profile(url, str(definition.get("type")), build_snapshot_tree(definition), package)
            self._profiles[key] = compiled
        return self._profiles[key]

    def substitutions(self, package: Package) -> list[Substitution]:
        return [s for s in self.registry.closure(package)[1] if s.used is not None]

    def validate(self, instance: Any, *, profiles: Sequence[str] = ()) -> ValidationResult:
        """All issues of ``instance`` (parsed FHIR JSON) against its own and the given profiles."""
        run = _Run(self, instance)
        if not isinstance(instance, dict) or not isinstance(instance.get("resourceType"), str):
            _add(
                run, Severity.FATAL, "", "the instance is not a FHIR resource (no resourceType)", "structure"
            )
            return ValidationResult(tuple(run.issues))
        try:
            _index_bundle(run, instance)
            _validate_resource(run, instance, instance["resourceType"], list(profiles), None)
        except RecursionError:
            # only reachable with absurdly deep nesting (e.g. extensions inside extensions thousands deep)
            _add(run, Severity.FATAL, "", "the instance is nested too deeply to validate", "too-costly")
        return ValidationResult(tuple(run.issues))


# --- issues ----------------------------------------------------------------------------------------------


def _add(run: _Run, severity: Severity, location: str, message: str, code: str = "invalid") -> None:
    key = (severity.value, location, message)
    if key not in run.seen:
        run.seen.add(key)
        run.issues.append(Issue(severity, location, message, code))


def _warn_once(run: _Run, subject: str, location: str, message: str) -> None:
    if subject not in run.warned:
        run.warned.add(subject)
        _add(run, Severity.WARNING, location, message, "not-found")


def _report_substitutions(run: _Run, package: Package) -> None:
    for substitution in run.validator.substitutions(package):
        subject = f"substitution {substitution.package}#{substitution.wanted}"
        if subject not in run.warned:
            run.warned.add(subject)
            _add(run, Severity.INFORMATION, "", substitution.message(), "informational")


# --- the Bundle: reference resolution ---------------------------------------------------------------------


def _index_bundle(run: _Run, bundle: dict[str, Any]) -> None:
    if bundle.get("resourceType") != "Bundle":
        return
    run.resolves_references = str(bundle.get("type")) in BUNDLE_TYPES_RESOLVING_REFERENCES
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        resource = entry.get("resource")
        if not isinstance(resource, dict):
            continue
        full_url = entry.get("fullUrl")
        run.location_of[id(resource)] = f"Bundle.entry[{index}].resource"
        rtype, rid = resource.get("resourceType"), resource.get("id")
        if isinstance(full_url, str):
            if full_url in run.by_full_url:
                _add(
                    run,
                    Severity.ERROR,
                    f"Bundle.entry[{index}].fullUrl",
                    f"fullUrl {full_url!r} is used twice",
                )
            run.by_full_url.setdefault(full_url, resource)
            run.full_url_of[id(resource)] = full_url
            tail = full_url.rsplit("/", 2)
            if len(tail) == 3 and tail[1] == rtype and isinstance(rid, str) and tail[2] != rid:
                _add(
                    run,
                    Severity.ERROR,
                    f"Bundle.entry[{index}].fullUrl",
                    f"fullUrl {full_url!r} does not match the resource id {rid!r}",
                )
        if isinstance(rtype, str) and isinstance(rid, str):
            run.by_type_id.setdefault((rtype, rid), resource)


def _resolve(run: _Run, reference: str, frame: Frame) -> dict[str, Any] | None:
    """The resource a literal reference points at, inside the resource (``#id``) or the Bundle."""
    if reference.startswith("#"):
        contained_resources = frame.resource.get("contained")
        for contained in contained_resources if isinstance(contained_resources, list) else []:
            if isinstance(contained, dict) and contained.get("id") == reference[1:]:
                return contained
        return None
    if reference in run.by_full_url:
        return run.by_full_url[reference]
    parts = reference.split("/")
    if len(parts) >= 2 and "://" not in reference and not reference.startswith("urn:"):
        rtype, rid = parts[-2], parts[-1]
        if frame.full_url:
            # a relative reference is resolved against the base of the referring entry's fullUrl
            base_parts = frame.full_url.split("/")
            if len(base_parts) > 2:
                candidate = "/".join(base_parts[:-2]) + "/" + reference
                if candidate in run.by_full_url:
                    return run.by_full_url[candidate]
        return run.by_type_id.get((rtype, rid))
    return None


def _hooks(run: _Run, frame: Frame) -> Hooks:
    def resolve(item: Any) -> Any | None:
        reference = item.get("reference") if isinstance(item, dict) else item
        return _resolve(run, reference, frame) if isinstance(reference, str) else None

    def conforms_to(item: Any, url: str) -> bool:
        if not isinstance(item, dict) or not isinstance(item.get("resourceType"), str):
            return False
        if run.validator.profile(url, frame.context) is None:
            raise LookupError(f"profile {url} is not loaded")
        return _conforms(run, item, url, frame.context)

    return Hooks(resolve=resolve, conforms_to=conforms_to)


# --- resources -----------------------------------------------------------------------------------------


def _validate_resource(
    run: _Run, resource: dict[str, Any], location: str, profiles: list[str], context: Package | None
) -> None:
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or not is_model_name(rtype):
        _add(run, Severity.ERROR, location, f"unknown resourceType {rtype!r}", "structure")
        return
    meta = resource.get("meta")
    declared = meta.get("profile") if isinstance(meta, dict) else None
    declared = declared if isinstance(declared, list) else []
    urls = list(dict.fromkeys([*profiles, *(u for u in declared if isinstance(u, str))]))
    checked = False
    for url in urls:
        if url.startswith(BASE_PROFILE_PREFIX) and url.partition("|")[0].endswith("/" + rtype):
            continue
        profile = run.validator.profile(url.partition("|")[0], context)
        if profile is None:
            _warn_once(
                run,
                url,
                location,
                f"profile {url} could not be resolved in the loaded packages; {rtype} checked against "
                "the base FHIR structure only for this profile",
            )
            continue
        if profile.type != rtype:
            _add(run, Severity.ERROR, location, f"{rtype} cannot conform to profile {url} (a {profile.type})")
            continue
        checked = True
        _report_substitutions(run, profile.package)
        for issue in _profile_issues(run, resource, profile, location):
            _add(run, issue.severity, issue.location, issue.message, issue.code)
    if not checked:
        frame = Frame(resource, run.full_url_of.get(id(resource)), base_tree(rtype), context)
        _validate_complex(run, resource, base_tree(rtype), location, frame, is_resource_root=True)


def _profile_issues(run: _Run, resource: dict[str, Any], profile: Profile, location: str) -> list[Issue]:
    """The issues of one resource against one profile, memoised (conformance checks reuse them)."""
    key = (id(resource), profile.url + "@" + profile.package.label)
    cached = run.profile_issues.get(key)
    if cached is not None:
        return cached
    saved_issues, saved_seen = run.issues, run.seen
    run.issues, run.seen = [], set()
    run.profile_issues[key] = []  # a reference cycle back to this resource counts as conforming
    try:
        frame = Frame(resource, run.full_url_of.get(id(resource)), profile.root, profile.package)
        _validate_complex(run, resource, profile.root, location, frame, is_resource_root=True)
        collected = run.issues
    finally:
        run.issues, run.seen = saved_issues, saved_seen
    run.profile_issues[key] = collected
    return collected


def _conforms(run: _Run, resource: dict[str, Any], url: str, context: Package | None) -> bool:
    profile = run.validator.profile(url.partition("|")[0], context)
    if profile is None or profile.type != resource.get("resourceType"):
        return False
    location = run.location_of.get(id(resource), str(resource.get("resourceType")))
    issues = _profile_issues(run, resource, profile, location)
    return not any(i.severity in (Severity.ERROR, Severity.FATAL) for i in issues)


# --- complex elements -------------------------------------------------------------------------------


def _children_of(node: ElementNode, type_ref: TypeRef | None, frame: Frame) -> dict[str, ElementNode]:
    """The child definitions of a node: from the snapshot, via contentReference, or from the base type."""
    if node.children:
        return node.children
    if node.content_reference:
        target = find_in_tree(frame.tree, node.content_reference.partition("#")[2])
        if target is not None and target.children:
            return target.children
        base = base_element(node.content_reference.partition("#")[2])
        if base is not None and base.model_name:
            return base_tree(base.model_name).children
        return {}
    if node.model_name:
        return base_tree(node.model_name).children
    if type_ref is not None and is_model_name(type_ref.code):
        return base_tree(type_ref.code).children
    base = base_element(node.path)
    if base is not None and base.model_name:
        return base_tree(base.model_name).children
    return {}


def _validate_complex(
    run: _Run,
    value: dict[str, Any],
    node: ElementNode,
    location: str,
    frame: Frame,
    *,
    type_ref: TypeRef | None = None,
    is_resource_root: bool = False,
) -> None:
    children = _children_of(node, type_ref, frame)
    consumed: set[str] = {"resourceType"} if is_resource_root else set()
    owner = _owner_type(node, type_ref)
    for child in children.values():
        name = child.name
        if (
            child.min == 0
            and not child.slices
            and not child.is_choice
            and name not in value
            and "_" + name not in value
        ):
            continue  # absent and optional, no slices: nothing to check (most children of most objects)
        items, keys = _gather(run, value, child, location, owner)
        consumed |= keys
        _validate_occurrences(run, items, child, location, frame)
    for key in value:
        if key not in consumed and key != "fhir_comments":
            _add(run, Severity.ERROR, f"{location}.{key}", f"unrecognised element '{key}'", "structure")
    _check_constraints(run, value, node, location, frame)


def _owner_type(node: ElementNode, type_ref: TypeRef | None) -> str | None:
    """The R4B model whose fields are this node's children (for base code lists)."""
    if node.model_name:
        return node.model_name
    if (
        type_ref is not None
        and type_ref.code not in ("BackboneElement", "Element")
        and is_model_name(type_ref.code)
    ):
        return type_ref.code
    base = base_element(node.path) if "." in node.path else None
    if base is not None:
        return base.model_name
    root = node.path.split(".", 1)[0]
    return root if "." not in node.path and is_model_name(root) else None


def _choice_type(node: ElementNode, key: str) -> TypeRef | None:
    suffix = key[len(node.base_name) :]
    for type_ref in node.types:
        if type_ref.code[:1].upper() + type_ref.code[1:] == suffix:
            return type_ref
    return None


def _gather(
    run: _Run, value: dict[str, Any], child: ElementNode, location: str, owner: str | None
) -> tuple[list[Item], set[str]]:
    """The occurrences of a child element in a JSON object, and the keys they used."""
    if child.is_choice:
        base = child.base_name
        keys = [k for k in value if k.startswith(base) and k[len(base) : len(base) + 1].isupper()]
        keys += [
            k[1:]
            for k in value
            if k.startswith("_" + base) and k[1:] not in value and k[len(base) + 1 :][:1].isupper()
        ]
    else:
        keys = [child.name] if (child.name in value or "_" + child.name in value) else []
    items: list[Item] = []
    used: set[str] = set()
    for key in keys:
        used |= {key, "_" + key}
        raw, sidecar = value.get(key), value.get("_" + key)
        is_array = isinstance(raw, list) or (raw is None and isinstance(sidecar, list))
        if (child.base_max == 1) and is_array:
            _add(
                run,
                Severity.ERROR,
                f"{location}.{key}",
                f"'{key}' must be a single value, not an array",
                "structure",
            )
            raw, sidecar = (
                (raw[0] if raw else None),
                (sidecar[0] if isinstance(sidecar, list) and sidecar else None),
            )
            is_array = False
        elif child.base_max != 1 and not is_array and child.name != "resource":
            _add(run, Severity.ERROR, f"{location}.{key}", f"'{key}' must be an array", "structure")
        if is_array:
            values = (
                raw if isinstance(raw, list) else [None] * len(sidecar if isinstance(sidecar, list) else [])
            )
            sidecars = sidecar if isinstance(sidecar, list) else [None] * len(values)
            for index, item_value in enumerate(values):
                item_sidecar = sidecars[index] if index < len(sidecars) else None
                if item_value is None and item_sidecar is None:
                    _add(run, Severity.ERROR, f"{location}.{key}[{index}]", "null is not allowed in an array")
                    continue
                items.append(Item(key, item_value, item_sidecar, f"{location}.{key}[{index}]", owner))
        elif raw is not None or sidecar is not None:
            items.append(Item(key, raw, sidecar, f"{location}.{key}", owner))
    return items, used


def _validate_occurrences(
    run: _Run, items: list[Item], node: ElementNode, location: str, frame: Frame
) -> None:
    where = f"{location}.{node.base_name}"
    if len(items) < node.min:
        _add(
            run,
            Severity.ERROR,
            where,
            f"{node.label()}: minimum required = {node.min}, but only found {len(items)}",
            "required",
        )
    if node.max != UNBOUNDED and len(items) > node.max:
        _add(run, Severity.ERROR, where, f"{node.label()}: max allowed = {node.max}, but found {len(items)}")
    if node.slicing is not None and node.slices:
        assigned: dict[int, list[Item]] = {i: [] for i in range(len(node.slices))}
        for item in items:
            slot = next(
                (i for i, s in enumerate(node.slices) if _matches_slice(run, item, s, node, frame)),
                None,
            )
            if slot is None:
                if node.slicing.rules == "closed":
                    _add(
                        run,
                        Severity.ERROR,
                        item.location,
                        f"{node.label()}: this element does not match any of the slices "
                        f"({', '.join(str(s.slice_name) for s in node.slices)}) and the slicing is closed",
                    )
                _validate_item(run, item, node, frame)
            else:
                assigned[slot].append(item)
        for index, slice_node in enumerate(node.slices):
            count = len(assigned[index])
            if count < slice_node.min:
                _add(
                    run,
                    Severity.ERROR,
                    where,
                    f"slice '{slice_node.slice_name}' of {node.path}: minimum required = {slice_node.min}, "
                    f"but only found {count}",
                    "required",
                )
            if slice_node.max != UNBOUNDED and count > slice_node.max:
                _add(
                    run,
                    Severity.ERROR,
                    where,
                    f"slice '{slice_node.slice_name}' of {node.path}: max allowed = {slice_node.max}, "
                    f"but found {count}",
                )
            for item in assigned[index]:
                _validate_item(run, item, slice_node, frame)
        return
    for item in items:
        _validate_item(run, item, node, frame)


# --- one occurrence -------------------------------------------------------------------------------------


def _validate_item(run: _Run, item: Item, node: ElementNode, frame: Frame) -> None:
    type_ref = _choice_type(node, item.key) if node.is_choice else (node.types[0] if node.types else None)
    if node.is_choice and type_ref is None:
        allowed = ", ".join(t.code for t in node.types)
        _add(
            run,
            Severity.ERROR,
            item.location,
            f"type of '{item.key}' is not one of the allowed types ({allowed})",
        )
        return
    code = type_ref.code if type_ref else None
    if code is None and node.content_reference is None and not node.children:
        return
    if code in PRIMITIVE_TYPES:
        _validate_primitive(run, item, node, code, frame)
        return
    if code == "Resource" or (
        code is not None and code != "Element" and is_model_name(code) and is_resource_type(code)
    ):
        if not isinstance(item.value, dict):
            _add(run, Severity.ERROR, item.location, "must be a resource (a JSON object)", "structure")
            return
        profiles = [p for t in node.types for p in t.profiles]
        _validate_resource(run, item.value, item.location, profiles, frame.context)
        return
    if not isinstance(item.value, dict):
        _add(
            run,
            Severity.ERROR,
            item.location,
            f"must be a JSON object (a {code}), not {type(item.value).__name__}",
            "structure",
        )
        return
    _check_fixed_and_pattern(run, item.value, node, item.location)
    _check_binding(run, item, node, code, frame)
    _validate_complex(run, item.value, node, item.location, frame, type_ref=type_ref)
    if code == "Reference":
        _check_reference(run, item.value, type_ref, item.location, frame)
    if type_ref is not None:
        _check_type_profiles(
            run, item.value, type_ref, item.location, frame, is_modifier=node.name == "modifierExtension"
        )


def _validate_primitive(run: _Run, item: Item, node: ElementNode, code: str, frame: Frame) -> None:
    if item.value is not None:
        problem = primitive_problem(code, item.value)
        if problem is not None:
            _add(run, Severity.ERROR, item.location, f"value {item.value!r} {problem}", "value")
            return
        if node.max_length is not None and isinstance(item.value, str) and len(item.value) > node.max_length:
            _add(
                run,
                Severity.ERROR,
                item.location,
                f"value is longer than maxLength {node.max_length}",
                "too-long",
            )
        _check_fixed_and_pattern(run, item.value, node, item.location)
        _check_binding(run, item, node, code, frame)
    if item.sidecar is not None:
        if not isinstance(item.sidecar, dict):
            _add(
                run, Severity.ERROR, item.location, "the '_' extension sidecar must be an object", "structure"
            )
        else:
            element_children = {k: v for k, v in node.children.items() if k in ("id", "extension")}
            holder = ElementNode(
                path=node.path, name=node.name, children=element_children or base_tree("Element").children
            )
            _validate_complex(run, item.sidecar, holder, item.location, frame)
    # ele-1 ("a @value or children"): a primitive whose sidecar carries an extension has children even
    # without a value (e.g. a family name that is unknown, given as data-absent-reason).
    has_children = isinstance(item.sidecar, dict) and any(
        k != "id" and v not in (None, [], {}) for k, v in item.sidecar.items()
    )
    skip = ELE_1 if item.value is None and has_children else frozenset()
    _check_constraints(run, item.value, node, item.location, frame, skip=skip)


# --- fixed, pattern ------------------------------------------------------------------------------------


def _contains_pattern(value: Any, pattern: Any) -> bool:
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(_contains_pattern(value.get(k), v) for k, v in pattern.items())
    if isinstance(pattern, list):
        values = value if isinstance(value, list) else [value]
        return all(any(_contains_pattern(v, p) for v in values) for p in pattern)
    return bool(value == pattern)


def _check_fixed_and_pattern(run: _Run, value: Any, node: ElementNode, location: str) -> None:
    if node.fixed is not None and value != node.fixed:
        _add(
            run,
            Severity.ERROR,
            location,
            f"value is {_show(value)} but must be exactly {_show(node.fixed)}",
            "value",
        )
    if node.pattern is not None and not _contains_pattern(value, node.pattern):
        _add(
            run,
            Severity.ERROR,
            location,
            f"value {_show(value)} does not match the required pattern {_show(node.pattern)}",
            "value",
        )


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) < 200 else text[:197] + "..."


# --- bindings ----------------------------------------------------------------------------------------------


def _system(coding: dict[str, Any]) -> str | None:
    system = coding.get("system")
    return system if isinstance(system, str) else None


def _codings(value: Any, code: str | None) -> list[tuple[str | None, str]] | None:
    """The (system, code) pairs a bound element carries; None when the type carries no code."""
    if code in ("code", "string", "uri"):
        return [(None, value)] if isinstance(value, str) else []
    if code in ("Coding", "Quantity") and isinstance(value, dict):
        return [(_system(value), value["code"])] if isinstance(value.get("code"), str) else []
    if code == "CodeableConcept" and isinstance(value, dict):
        codings = value.get("coding")
        return [
            (_system(c), c["code"])
            for c in (codings if isinstance(codings, list) else [])
            if isinstance(c, dict) and isinstance(c.get("code"), str)
        ]
    return None


def _base_codes(item: Item, node: ElementNode) -> tuple[tuple[str, ...], bool] | None:
    """The base R4B code list of an element and whether it is closed (R4B marks open lists with '+')."""
    enum = node.enum_values
    if enum is None and item.owner_type is not None:
        base = base_tree(item.owner_type).children.get(node.name)
        enum = base.enum_values if base is not None else None
    if enum is None:
        base = base_element(node.path)
        enum = base.enum_values if base is not None else None
    if enum is None:
        return None
    return tuple(c for c in enum if c != "+"), "+" not in enum


def _check_binding(run: _Run, item: Item, node: ElementNode, code: str | None, frame: Frame) -> None:
    if node.binding_strength != "required":
        return
    codings = _codings(item.value, code)
    if codings is None:
        return
    location = item.location
    url = node.binding_value_set.partition("|")[0] if node.binding_value_set else None
    if not codings:
        if code == "CodeableConcept" and url:
            _add(
                run,
                Severity.ERROR,
                location,
                f"no code given, but a code from the required value set {url} is needed",
                "code-invalid",
            )
        return
    expansion = run.validator.terminology.expansion(url, frame.context) if url else None
    if expansion is None:
        base = _base_codes(item, node) if code == "code" else None
        if base is None:
            if url:
                _warn_once(
                    run,
                    url,
                    location,
                    f"value set {url} could not be resolved; codes bound to it are not checked",
                )
            return
        allowed, closed = base
        named = f"the required value set {url}" if url else "the required codes"
        for _, c in codings:
            if c in allowed:
                continue
            if closed:
                _add(
                    run,
                    Severity.ERROR,
                    location,
                    f"code {c!r} is not in {named} ({', '.join(allowed)})",
                    "code-invalid",
                )
            else:
                _add(
                    run,
                    Severity.WARNING,
                    location,
                    f"code {c!r} could not be checked: the R4B code list for {named} is open",
                    "not-found",
                )
        return
    results = [expansion.membership(system, c) for system, c in codings]
    if any(m is Membership.MEMBER for m, _ in results):
        return
    unknown = [reason for m, reason in results if m is Membership.UNKNOWN]
    shown = ", ".join(f"{s}#{c}" if s else repr(c) for s, c in codings)
    if unknown:
        _add(
            run,
            Severity.WARNING,
            location,
            f"code {shown} could not be checked against value set {url}: {unknown[0]}",
            "not-found",
        )
        return
    _add(
        run, Severity.ERROR, location, f"code {shown} is not in the required value set {url}", "code-invalid"
    )


# --- references and type profiles --------------------------------------------------------------------------


def _check_reference(
    run: _Run, value: dict[str, Any], type_ref: TypeRef | None, location: str, frame: Frame
) -> None:
    reference = value.get("reference")
    if not isinstance(reference, str):
        if type_ref is not None and "bundled" in type_ref.aggregation:
            _add(
                run,
                Severity.ERROR,
                location,
                "the reference must point at a resource in the Bundle (aggregation bundled)",
            )
        return
    target = _resolve(run, reference, frame)
    if target is None:
        if reference.startswith("#"):
            _add(
                run,
                Severity.ERROR,
                location,
                f"reference {reference!r} does not point at a contained resource",
                "not-found",
            )
        elif type_ref is not None and "bundled" in type_ref.aggregation:
            _add(
                run,
                Severity.ERROR,
                location,
                f"reference {reference!r} does not resolve to an entry in the Bundle, but the profile "
                "requires the target in the Bundle (aggregation bundled)",
                "not-found",
            )
        elif run.resolves_references:
            # a message may point at earlier messages (Provenance.target, entity.what): allowed, but said
            _add(
                run,
                Severity.INFORMATION,
                location,
                f"reference {reference!r} points outside this Bundle",
                "informational",
            )
        return
    if type_ref is None or not type_ref.target_profiles:
        return
    target_type = str(target.get("resourceType"))
    allowed_types: set[str] = set()
    conforming = False
    profiled: list[str] = []
    for url in type_ref.target_profiles:
        if url.startswith(BASE_PROFILE_PREFIX):
            name = url.removeprefix(BASE_PROFILE_PREFIX).partition("|")[0]
            allowed_types.add(name)
            if name in (target_type, "Resource"):
                conforming = True
            continue
        profile = run.validator.profile(url.partition("|")[0], frame.context)
        if profile is None:
            _warn_once(
                run,
                url,
                location,
                f"target profile {url} could not be resolved; the reference target is not checked against it",
            )
            conforming = True
            continue
        allowed_types.add(profile.type)
        profiled.append(url)
        if profile.type == target_type and _conforms(run, target, url, frame.context):
            conforming = True
    if conforming:
        return
    if target_type not in allowed_types:
        _add(
            run,
            Severity.ERROR,
            location,
            f"reference {reference!r} points at a {target_type}, "
            f"but must point at {' or '.join(sorted(allowed_types))}",
        )
    else:
        _add(
            run,
            Severity.ERROR,
            location,
            f"reference {reference!r} points at a {target_type} "
            f"that does not conform to {' or '.join(profiled)}",
        )


def _check_type_profiles(
    run: _Run, value: dict[str, Any], type_ref: TypeRef, location: str, frame: Frame, *, is_modifier: bool
) -> None:
    urls = list(type_ref.profiles)
    if not urls and type_ref.code == "Extension" and isinstance(value.get("url"), str):
        urls = [value["url"]]
    for url in urls:
        profile = run.validator.profile(url.partition("|")[0], frame.context)
        if profile is None and is_modifier:
            # a modifier extension changes the meaning of its element: not understanding it is fatal
            _add(
                run,
                Severity.ERROR,
                location,
                f"unknown modifier extension {url}; the element cannot be processed safely",
            )
            continue
        if profile is None:
            what = "extension definition" if type_ref.code == "Extension" else "profile"
            _warn_once(
                run,
                url,
                location,
                f"{what} {url} could not be resolved; "
                f"this element is checked against the base {type_ref.code} only",
            )
            continue
        _report_substitutions(run, profile.package)
        inner = Frame(frame.resource, frame.full_url, profile.root, profile.package)
        _check_fixed_and_pattern(run, value, profile.root, location)
        _validate_complex(run, value, profile.root, location, inner)


# --- invariants --------------------------------------------------------------------------------------------


ELE_1 = frozenset({"ele-1"})


def _check_constraints(
    run: _Run,
    value: Any,
    node: ElementNode,
    location: str,
    frame: Frame,
    *,
    skip: frozenset[str] = frozenset(),
) -> None:
    """Every invariant of ``node`` on ``value``; ``skip``: keys the caller has decided itself."""
    for constraint in node.constraints:
        if constraint.key in skip:
            continue
        native = native_invariant(constraint.key, constraint.expression)
        native_ok = native(value) if native is not None else None
        if native_ok is not None:
            ok = native_ok
        else:
            ok_or_none = _evaluate(run, constraint, value, node, location, frame)
            if ok_or_none is None:
                continue
            ok = ok_or_none
        if not ok:
            severity = Severity.ERROR if constraint.severity == "error" else Severity.WARNING
            _add(
                run,
                severity,
                location,
                f"constraint {constraint.key} failed: {constraint.human} [{constraint.expression.strip()}]",
                "invariant",
            )


def _evaluate(
    run: _Run, constraint: Constraint, value: Any, node: ElementNode, location: str, frame: Frame
) -> bool | None:
    expression = constraint.expression.strip()
    if not isinstance(value, dict) and expression.startswith("value."):
        # On a primitive, ``value`` is the primitive itself (as in the Java FHIRPath engine the HL7
        # validator uses); fhirpathpy has no such property, so the step is dropped.
        expression = expression.removeprefix("value.")
    try:
        result = run.validator.fhirpath.evaluate(
            expression,
            value,
            type_path=node.path if isinstance(value, dict) and "resourceType" not in value else None,
            resource=frame.resource,
            root_resource=run.root,
            hooks=_hooks(run, frame),
        )
    except LookupError as exc:
        _warn_once(
            run, f"{constraint.key}:{exc}", location, f"constraint {constraint.key} not checked: {exc}"
        )
        return None
    except Exception as exc:  # noqa: BLE001 - fhirpathpy raises bare Exceptions for unsupported syntax
        _warn_once(
            run,
            f"{constraint.key}:{constraint.expression}",
            location,
            f"constraint {constraint.key} could not be evaluated ({exc}); not checked",
        )
        return None
    return satisfied(result)


# --- slicing ---------------------------------------------------------------------------------------------


def _segments(path: str) -> list[str]:
    """Split a discriminator path on dots outside parentheses."""
    out, depth, current = [], 0, ""
    for char in path:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "." and depth == 0:
            out.append(current)
            current = ""
        else:
            current += char
    out.append(current)
    return [s for s in out if s]


def _instance_at(run: _Run, item: Item, path: str, frame: Frame) -> list[tuple[Any, str | None]]:
    """(value, type-from-key) pairs at a discriminator path in the instance."""
    current: list[tuple[Any, str | None]] = [(item.value, _key_type(item.key))]
    for segment in _segments(path):
        following: list[tuple[Any, str | None]] = []
        call = _FUNCTION_SEGMENT.match(segment)
        for value, type_hint in current:
            if segment == "$this":
                following.append((value, type_hint))
            elif call and call.group(1) == "extension":
                url = call.group(2).strip("'\"")
                extensions = value.get("extension") if isinstance(value, dict) else None
                following += [
                    (e, "Extension")
                    for e in (extensions if isinstance(extensions, list) else [])
                    if isinstance(e, dict) and e.get("url") == url
                ]
            elif call and call.group(1) == "resolve":
                reference = value.get("reference") if isinstance(value, dict) else None
                target = _resolve(run, reference, frame) if isinstance(reference, str) else None
                if target is not None:
                    following.append((target, target.get("resourceType")))
            elif call and call.group(1) == "ofType":
                wanted = call.group(2)
                if type_hint == wanted or (isinstance(value, dict) and value.get("resourceType") == wanted):
                    following.append((value, type_hint))
            elif isinstance(value, dict):
                if segment in value:
                    nested = value[segment]
                    hint = nested.get("resourceType") if isinstance(nested, dict) else None
                    following += [(v, hint) for v in (nested if isinstance(nested, list) else [nested])]
                else:
                    for key, nested in value.items():
                        if key.startswith(segment) and key[len(segment) : len(segment) + 1].isupper():
                            following += [
                                (v, key[len(segment) :])
                                for v in (nested if isinstance(nested, list) else [nested])
                            ]
        current = following
    return current


def _key_type(key: str) -> str | None:
    for index, char in enumerate(key):
        if char.isupper():
            return key[index:]
    return None


def _definitions_at(
    run: _Run, node: ElementNode, segments: list[str], frame: Frame
) -> list[tuple[ElementNode | None, Any]]:
    """(definition node, fixed-or-pattern value) pairs reached by a discriminator path from a slice.

    Paths go through sliced elements (e.g. ``extension.value`` reaches the slice that fixes the value)
    and into fixed/pattern values (``...value.code`` inside a ``patternCoding``).
    """
    if not segments:
        fixed = node.fixed if node.fixed is not None else node.pattern
        return [(node, fixed)]
    segment, rest = segments[0], segments[1:]
    if segment == "$this":
        return _definitions_at(run, node, rest, frame)
    fixed_here = node.fixed if node.fixed is not None else node.pattern
    if fixed_here is not None:
        value: Any = fixed_here
        for step in segments:
            value = value.get(step) if isinstance(value, dict) else None
            if isinstance(value, list):
                value = value[0] if value else None
        return [(None, value)] if value is not None else []
    call = _FUNCTION_SEGMENT.match(segment)
    children = _definition_children(run, node, frame)
    if call and call.group(1) == "extension":
        url = call.group(2).strip("'\"")
        extension = children.get("extension")
        results: list[tuple[ElementNode | None, Any]] = []
        for candidate in extension.slices if extension else []:
            url_child = candidate.children.get("url")
            profiles = [p for t in candidate.types for p in t.profiles]
            if url in profiles or (url_child is not None and url_child.fixed == url):
                results += _definitions_at(run, candidate, rest, frame)
        if not results:
            profile = run.validator.profile(url, frame.context)
            if profile is not None:
                results = _definitions_at(run, profile.root, rest, frame)
        return results
    child = children.get(segment) or children.get(segment + "[x]")
    if child is None:
        return []
    found = _definitions_at(run, child, rest, frame)
    if any(v is not None for _, v in found):
        return found
    out: list[tuple[ElementNode | None, Any]] = list(found)
    for slice_node in child.slices:
        out += _definitions_at(run, slice_node, rest, frame)
    return out


def _definition_children(run: _Run, node: ElementNode, frame: Frame) -> dict[str, ElementNode]:
    if node.children:
        return node.children
    for type_ref in node.types:
        for url in type_ref.profiles:
            profile = run.validator.profile(url.partition("|")[0], frame.context)
            if profile is not None:
                return profile.root.children
    return _children_of(node, node.types[0] if len(node.types) == 1 else None, frame)


def _matches_slice(run: _Run, item: Item, slice_node: ElementNode, owner: ElementNode, frame: Frame) -> bool:
    assert owner.slicing is not None
    for discriminator in owner.slicing.discriminators:
        segments = _segments(discriminator.path)
        if discriminator.type in ("value", "pattern"):
            expected = [v for _, v in _definitions_at(run, slice_node, segments, frame) if v is not None]
            actual = [v for v, _ in _instance_at(run, item, discriminator.path, frame)]
            if not expected:
                nodes = [n for n, _ in _definitions_at(run, slice_node, segments, frame) if n is not None]
                bound = [n for n in nodes if n.binding_strength == "required" and n.binding_value_set]
                if not bound or not _any_in_value_set(run, actual, bound[0], frame):
                    return False
                continue
            if not any(_contains_pattern(a, e) for a in actual for e in expected):
                return False
        elif discriminator.type == "type":
            wanted = {
                t.code for n, _ in _definitions_at(run, slice_node, segments, frame) if n for t in n.types
            }
            actual_types = {
                _type_name(v, hint) for v, hint in _instance_at(run, item, discriminator.path, frame)
            }
            if not wanted or not ({t.lower() for t in actual_types if t} & {w.lower() for w in wanted}):
                return False
        elif discriminator.type == "profile":
            urls = [
                p
                for n, _ in _definitions_at(run, slice_node, segments, frame)
                if n
                for t in n.types
                for p in t.profiles
            ]
            values = [v for v, _ in _instance_at(run, item, discriminator.path, frame) if isinstance(v, dict)]
            if not urls or not values:
                return False
            if not all(any(_conforms(run, v, url, frame.context) for url in urls) for v in values):
                return False
        elif discriminator.type == "exists":
            nodes = [n for n, _ in _definitions_at(run, slice_node, segments, frame) if n]
            must_exist = bool(nodes) and nodes[0].min > 0
            if bool(_instance_at(run, item, discriminator.path, frame)) != must_exist:
                return False
        else:
            return False
    return True


def _type_name(value: Any, hint: str | None) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("resourceType"), str):
        return str(value["resourceType"])
    return hint


def _any_in_value_set(run: _Run, values: Iterable[Any], node: ElementNode, frame: Frame) -> bool:
    assert node.binding_value_set is not None
    expansion = run.validator.terminology.expansion(node.binding_value_set.partition("|")[0], frame.context)
    if expansion is None:
        return False
    for value in values:
        for system, code in _codings(value, node.types[0].code if node.types else None) or []:
            if expansion.membership(system, code)[0] is Membership.MEMBER:
                return True
    return False
