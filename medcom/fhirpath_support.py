"""FHIRPath for invariants: fhirpathpy with the functions it lacks, parsed once per expression.

fhirpathpy does not implement ``hasValue()``, ``resolve()``, ``conformsTo()`` or ``htmlChecks()``; they are
supplied here as user functions bound to the Bundle being validated (``Hooks``). The handful of base
invariants that sit on nearly every element (``ele-1``, ``ext-1``, the ``dom-*`` and ``txt-*`` rules) are
evaluated natively: they are exactly equivalent, and evaluating them through the interpreter on every
element would dominate validation time. A native implementation is only used when the expression text is
exactly the one it implements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fhirpathpy import apply_parsed_path as _apply_parsed_path
from fhirpathpy.engine.nodes import ResourceNode as _ResourceNode
from fhirpathpy.models import models
from fhirpathpy.parser import parse as _parse
from lxml import etree

R4_MODEL: dict[str, Any] = models["r4"]
# fhirpathpy is untyped; these names give its entry points the Any types mypy needs.
apply_parsed_path: Any = _apply_parsed_path
parse: Any = _parse
ResourceNode: Any = _ResourceNode
XHTML_NS = "http://www.w3.org/1999/xhtml"
# FHIR narrative: the basic HTML formatting elements only (R4 Narrative, txt-1).
ALLOWED_XHTML_ELEMENTS = frozenset(
    [
        "a",
        "abbr",
        "acronym",
        "b",
        "big",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "tt",
        "ul",
        "var",
    ]
)


class FhirPathUnavailable(Exception):
    """Internal: an expression needs something that cannot be answered here (e.g. an unknown profile)."""


@dataclass
class Hooks:
    """What the supplied functions need from the validator, for one Bundle or resource."""

    resolve: Callable[[Any], Any | None]
    conforms_to: Callable[[Any, str], bool]


def narrative_problems(div: str) -> list[str]:
    """Why an xhtml narrative breaks the FHIR rules (txt-1, txt-2); empty when it is fine."""
    try:
        root = etree.fromstring(div.encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        return [f"narrative is not well-formed XHTML ({exc})"]
    problems: list[str] = []
    if root.tag != f"{{{XHTML_NS}}}div":
        problems.append("narrative root must be an XHTML <div> in the namespace " + XHTML_NS)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        namespace, _, local = element.tag.rpartition("}")
        if namespace.lstrip("{") != XHTML_NS or local not in ALLOWED_XHTML_ELEMENTS:
            problems.append(f"narrative contains element <{local}>, which FHIR narrative does not allow")
        for attribute, value in element.attrib.items():
            name = attribute.rpartition("}")[2]
            if name.lower().startswith("on") or str(value).strip().lower().startswith("javascript:"):
                problems.append(f"narrative contains active content in attribute '{name}'")
    has_text = any(t.strip() for t in root.itertext())
    has_image = any(isinstance(e.tag, str) and e.tag == f"{{{XHTML_NS}}}img" for e in root.iter())
    if not (has_text or has_image):
        problems.append("narrative has no content (txt-2)")
    return problems


def _field(value: Any, key: str) -> Any:
    """``value[key]`` when value is an object, else None (invariants must not fail on malformed input)."""
    return value.get(key) if isinstance(value, dict) else None


def _nonempty(value: Any) -> bool:
    return value not in (None, [], {}, "")


def _has_value_or_children(item: Any) -> bool:
    """ele-1: a primitive has a value, or a complex element has children besides ``id``."""
    if isinstance(item, dict):
        return any(_nonempty(v) for k, v in item.items() if k != "id")
    return item is not None


def _extension_xor_value(item: Any) -> bool:
    """ext-1: an extension has either nested extensions or a value[x], not both."""
    if not isinstance(item, dict):
        return True
    has_extension = _nonempty(item.get("extension"))
    has_value = any(k.startswith("value") and _nonempty(v) for k, v in item.items())
    return has_extension != has_value


def _contained(item: Any) -> list[dict[str, Any]]:
    contained = _field(item, "contained")
    return [c for c in contained if isinstance(c, dict)] if isinstance(contained, list) else []


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, nested in value.items():
            if key != "contained":
                yield from _strings(nested)
    elif isinstance(value, list):
        for nested in value:
            yield from _strings(nested)


def _contained_referenced(item: Any) -> bool:
    """dom-3: every contained resource is referenced from the resource (or a ``#`` reference exists)."""
    contained = _contained(item)
    if not contained:
        return True
    strings = set(_strings(item))
    return "#" in strings or all(f"#{c.get('id')}" in strings for c in contained)


def _narrative_ok(item: Any) -> bool:
    return not isinstance(item, str) or not narrative_problems(item)


def _entries_of(bundle: Any) -> list[dict[str, Any]]:
    entries = _field(bundle, "entry")
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _entries_have(part: str, types: frozenset[str]) -> Callable[[Any], bool | None]:
    """bdl-3 / bdl-4: every entry has ``request`` (``response``) exactly when the Bundle type is one of
    ``types``. Native because fhirpathpy re-evaluates ``%resource.type`` per entry (seconds for a
    thousand entries)."""

    def check(bundle: Any) -> bool | None:
        bundle_type = _field(bundle, "type")
        if bundle_type is not None and not isinstance(bundle_type, str):
            return None  # a malformed type (found by the mutation test): left to FHIRPath
        wanted = bundle_type in types
        return all(_nonempty(e.get(part)) == wanted for e in _entries_of(bundle))

    return check


def _full_urls_distinct(bundle: Any) -> bool:
    """bdl-7: outside a history Bundle, fullUrl & meta.versionId is unique among entries with a fullUrl."""
    if _field(bundle, "type") == "history":
        return True
    keys = [
        f"{e['fullUrl']}{_field(_field(e.get('resource'), 'meta'), 'versionId') or ''}"
        for e in _entries_of(bundle)
        if isinstance(e.get("fullUrl"), str)
    ]
    return len(keys) == len(set(keys))


def _exists(item: dict[str, Any], key: str) -> bool:
    """FHIRPath ``key.exists()`` on a JSON object as fhirpathpy reads it (the ``_key`` sidecar counts)."""
    return item.get(key) not in (None, []) or item.get("_" + key) not in (None, [])


def _entry_has_content(entry: Any) -> bool | None:
    """bdl-5: an entry has a resource, a request or a response. Native: evaluated on every entry."""
    if not isinstance(entry, dict):
        return None
    return _exists(entry, "resource") or _exists(entry, "request") or _exists(entry, "response")


def _full_url_not_versioned(entry: Any) -> bool | None:
    """bdl-8: an entry's fullUrl is not a version-specific URL. An absent fullUrl gives an empty result,
    which fails like any empty invariant result; a fullUrl that is not one string is left to FHIRPath."""
    if not isinstance(entry, dict) or "_fullUrl" in entry:
        return None
    full_url = entry.get("fullUrl")
    if full_url is None:
        return False
    return "/_history/" not in full_url if isinstance(full_url, str) else None


NativeInvariant = Callable[[Any], bool | None]
"""True/False: the invariant holds or fails; None: this input is left to the FHIRPath engine."""

NATIVE_INVARIANTS: dict[tuple[str, str], NativeInvariant] = {
    (
        "bdl-3",
        "entry.all(request.exists() = (%resource.type = 'batch' or %resource.type = 'transaction' or "
        "%resource.type = 'history'))",
    ): _entries_have("request", frozenset({"batch", "transaction", "history"})),
    (
        "bdl-4",
        "entry.all(response.exists() = (%resource.type = 'batch-response' or "
        "%resource.type = 'transaction-response' or %resource.type = 'history'))",
    ): _entries_have("response", frozenset({"batch-response", "transaction-response", "history"})),
    (
        "bdl-7",
        "(type = 'history') or entry.where(fullUrl.exists())"
        ".select(fullUrl&resource.meta.versionId).isDistinct()",
    ): _full_urls_distinct,
    ("bdl-5", "resource.exists() or request.exists() or response.exists()"): _entry_has_content,
    ("bdl-8", "fullUrl.contains('/_history/').not()"): _full_url_not_versioned,
    ("ele-1", "hasValue() or (children().count() > id.count())"): _has_value_or_children,
    ("ext-1", "extension.exists() != value.exists()"): _extension_xor_value,
    ("dom-2", "contained.contained.empty()"): lambda r: all(not c.get("contained") for c in _contained(r)),
    ("dom-4", "contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()"): lambda r: all(
        not (c.get("meta") or {}).get("versionId") and not (c.get("meta") or {}).get("lastUpdated")
        for c in _contained(r)
    ),
    ("dom-5", "contained.meta.security.empty()"): lambda r: all(
        not (c.get("meta") or {}).get("security") for c in _contained(r)
    ),
    ("dom-6", "text.`div`.exists()"): lambda r: _nonempty(_field(_field(r, "text"), "div")),
    ("txt-1", "htmlChecks()"): _narrative_ok,
    ("txt-2", "htmlChecks()"): _narrative_ok,
}
DOM_3_PREFIX = "contained.where((('#'+id in (%resource.descendants().reference"


def native_invariant(key: str, expression: str) -> NativeInvariant | None:
    """The native implementation of a base invariant with exactly this key and expression, if any."""
    if key == "dom-3" and expression.startswith(DOM_3_PREFIX):
        return _contained_referenced
    return NATIVE_INVARIANTS.get((key, expression))


class FhirPathEngine:
    """Evaluates FHIRPath with the supplied functions; parses each expression once."""

    def __init__(self) -> None:
        self._parsed: dict[str, Any] = {}

    def parsed(self, expression: str) -> Any:
        tree = self._parsed.get(expression)
        if tree is None:
            tree = parse(expression)
            self._parsed[expression] = tree
        return tree

    def evaluate(
        self,
        expression: str,
        data: Any,
        *,
        type_path: str | None,
        resource: Any,
        root_resource: Any,
        hooks: Hooks,
    ) -> list[Any]:
        """The result collection of ``expression`` on ``data`` (an element of ``resource``).

        Raises FhirPathUnavailable when the expression needs what cannot be known here, and any
        fhirpathpy error for expressions it cannot evaluate (the caller reports both as warnings).
        """
        node = ResourceNode.create_node(data, type_path) if type_path and isinstance(data, dict) else data
        context = {"resource": resource, "rootResource": root_resource}
        options = {"userInvocationTable": self._functions(hooks)}
        result = apply_parsed_path(node, self.parsed(expression), context, R4_MODEL, options)
        return list(result)

    @staticmethod
    def _functions(hooks: Hooks) -> dict[str, Any]:
        def has_value(inputs: list[Any]) -> list[bool]:
            return [len(inputs) == 1 and inputs[0] is not None and not isinstance(inputs[0], dict)]

        def resolve(inputs: list[Any]) -> list[Any]:
            found = (hooks.resolve(item) for item in inputs)
            return [f for f in found if f is not None]

        def conforms_to(inputs: list[Any], url: Any) -> list[bool]:
            if not inputs:
                return []
            return [all(hooks.conforms_to(item, str(url)) for item in inputs)]

        def html_checks(inputs: list[Any]) -> list[bool]:
            return [all(isinstance(i, str) and not narrative_problems(i) for i in inputs)]

        return {
            "hasValue": {"fn": has_value, "arity": {0: []}},
            "resolve": {"fn": resolve, "arity": {0: []}},
            "conformsTo": {"fn": conforms_to, "arity": {1: ["String"]}},
            "htmlChecks": {"fn": html_checks, "arity": {0: []}},
        }


def satisfied(result: list[Any]) -> bool:
    """An invariant holds when its expression evaluates to true (as the HL7 validator reads it: an empty
    result or false fails)."""
    return bool(result) and all(r is True for r in result)
