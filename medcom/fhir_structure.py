"""Element trees: the shape a validator walks, built from a StructureDefinition snapshot or from the
fhir.resources R4B models (the base FHIR structure, since the base R4 package is not available here).

A snapshot is a flat list of ElementDefinitions whose ids encode the tree (``Bundle.entry:msg.resource``:
child ``resource`` of slice ``msg`` of element ``entry``). Base trees are built lazily per type: a node whose
children are not spelled out gets them from the base tree of its type when the validator needs them.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

# FHIR primitive types; the JSON of every other type is an object.
PRIMITIVE_TYPES = frozenset(
    {
        "boolean", "integer", "string", "decimal", "uri", "url", "canonical", "base64Binary", "instant",
        "date", "dateTime", "time", "code", "oid", "id", "markdown", "unsignedInt", "positiveInt", "uuid",
        "xhtml", "integer64",
    }
)  # fmt: skip
# FHIRPath system types used in snapshots for Element.id, Extension.url and Resource.id.
SYSTEM_TYPES = {
    "http://hl7.org/fhirpath/System.String": "string",
    "http://hl7.org/fhirpath/System.Boolean": "boolean",
    "http://hl7.org/fhirpath/System.Integer": "integer",
    "http://hl7.org/fhirpath/System.Decimal": "decimal",
    "http://hl7.org/fhirpath/System.DateTime": "dateTime",
    "http://hl7.org/fhirpath/System.Time": "time",
}
UNBOUNDED = -1


@dataclass(frozen=True, slots=True)
class TypeRef:
    """One allowed type of an element, with the profiles it must conform to (``type.profile``) and, for
    references, the profiles of the target (``type.targetProfile``)."""

    code: str
    profiles: tuple[str, ...] = ()
    target_profiles: tuple[str, ...] = ()
    aggregation: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Constraint:
    key: str
    severity: str
    human: str
    expression: str
    source: str


@dataclass(frozen=True, slots=True)
class Discriminator:
    type: str
    path: str


@dataclass(frozen=True, slots=True)
class Slicing:
    discriminators: tuple[Discriminator, ...]
    rules: str
    ordered: bool


@dataclass(eq=False)
class ElementNode:
    """One element definition and its place in the tree.

    ``max`` is UNBOUNDED for ``*``. ``children`` maps element names (``value[x]`` for choices) to nodes;
    empty means "as the base type" (see ``model_name`` and the validator's type fallback). ``slices`` are
    the named slices of this element when ``slicing`` is set. ``enum_values`` is the required code list of a
    base element (from the R4B model). ``fixed``/``pattern`` hold the JSON value of ``fixed[x]``/
    ``pattern[x]``.
    """

    path: str
    name: str
    min: int = 0
    max: int = UNBOUNDED
    base_max: int = UNBOUNDED
    types: tuple[TypeRef, ...] = ()
    fixed: Any = None
    pattern: Any = None
    binding_strength: str | None = None
    binding_value_set: str | None = None
    constraints: tuple[Constraint, ...] = ()
    slicing: Slicing | None = None
    slice_name: str | None = None
    content_reference: str | None = None
    max_length: int | None = None
    enum_values: tuple[str, ...] | None = None
    model_name: str | None = None
    children: dict[str, ElementNode] = field(default_factory=dict)
    slices: list[ElementNode] = field(default_factory=list)

    # Cached: the validator asks these for every child definition of every object it walks (``name`` is
    # never reassigned after construction).
    @cached_property
    def is_choice(self) -> bool:
        return self.name.endswith("[x]")

    @cached_property
    def base_name(self) -> str:
        return self.name.removesuffix("[x]")

    def label(self) -> str:
        return f"{self.path}:{self.slice_name}" if self.slice_name else self.path


FHIR_TYPE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"


def type_code(raw: dict[str, Any]) -> str:
    """The FHIR type of a snapshot type entry; FHIRPath system types carry the FHIR type (e.g. ``id`` for
    Resource.id) in the structuredefinition-fhir-type extension."""
    code = str(raw.get("code", ""))
    if code in SYSTEM_TYPES:
        for extension in raw.get("extension", ()):
            if extension.get("url") == FHIR_TYPE_EXTENSION and isinstance(extension.get("valueUrl"), str):
                return str(extension["valueUrl"])
        return SYSTEM_TYPES[code]
    return code


def _type_refs(element: dict[str, Any]) -> tuple[TypeRef, ...]:
    return tuple(
        TypeRef(
            code=type_code(t),
            profiles=tuple(t.get("profile", ())),
            target_profiles=tuple(t.get("targetProfile", ())),
            aggregation=tuple(t.get("aggregation", ())),
        )
        for t in element.get("type", ())
    )


def _prefixed(element: dict[str, Any], prefix: str) -> Any:
    for key, value in element.items():
        if key.startswith(prefix) and key != prefix:
            return value
    return None


def _node_from_definition(element: dict[str, Any], source: str) -> ElementNode:
    path = element["path"]
    raw_max = element.get("max", "*")
    raw_base_max = (element.get("base") or {}).get("max", raw_max)
    slicing = element.get("slicing")
    binding = element.get("binding") or {}
    return ElementNode(
        path=path,
        name=path.rsplit(".", 1)[-1],
        min=int(element.get("min", 0)),
        max=UNBOUNDED if raw_max == "*" else int(raw_max),
        base_max=UNBOUNDED if raw_base_max == "*" else int(raw_base_max),
        types=_type_refs(element),
        fixed=_prefixed(element, "fixed"),
        pattern=_prefixed(element, "pattern"),
        binding_strength=binding.get("strength"),
        binding_value_set=binding.get("valueSet"),
        constraints=tuple(
            Constraint(c["key"], c.get("severity", "error"), c.get("human", ""), c["expression"], source)
            for c in element.get("constraint", ())
            if c.get("expression")
        ),
        slicing=Slicing(
            tuple(Discriminator(d["type"], d["path"]) for d in slicing.get("discriminator", ())),
            slicing.get("rules", "open"),
            bool(slicing.get("ordered", False)),
        )
        if slicing
        else None,
        slice_name=element.get("sliceName"),
        content_reference=element.get("contentReference"),
        max_length=element.get("maxLength"),
    )


def _split_id(element_id: str) -> list[str]:
    """``Bundle.entry:msg.resource`` → ["Bundle", "entry:msg", "resource"]; dots inside ``extension('…')``
    never occur in ids, so a plain split is exact."""
    return element_id.split(".")


def build_snapshot_tree(structure_definition: dict[str, Any]) -> ElementNode:
    """The root node of a StructureDefinition's snapshot, with children and slices linked."""
    elements = structure_definition.get("snapshot", {}).get("element", [])
    if not elements:
        raise ValueError(f"StructureDefinition {structure_definition.get('url')} has no snapshot")
    source = str(structure_definition.get("url", ""))
    by_id: dict[str, ElementNode] = {}
    root: ElementNode | None = None
    for element in elements:
        node = _node_from_definition(element, source)
        element_id = element.get("id") or element["path"]
        by_id[element_id] = node
        parts = _split_id(element_id)
        if len(parts) == 1 and ":" not in parts[0]:
            root = node
            continue
        last = parts[-1]
        if ":" in last:
            # a slice (or re-slice ``a:b/c``) of the element with the same id minus the slice name
            base_id = ".".join([*parts[:-1], last.split(":", 1)[0]])
            owner_id = element_id.rsplit("/", 1)[0] if "/" in last else base_id
            owner = by_id.get(owner_id) or by_id.get(base_id)
            if owner is not None:
                owner.slices.append(node)
            continue
        parent = by_id.get(".".join(parts[:-1]))
        if parent is not None:
            parent.children[last] = node
    if root is None:
        raise ValueError(f"StructureDefinition {source} snapshot has no root element")
    return root


def find_in_tree(root: ElementNode, path: str) -> ElementNode | None:
    """The node at a plain element path (``Provenance.agent``) below ``root``; for contentReference."""
    parts = path.split(".")
    if parts[0] != root.path.split(".")[0]:
        return None
    node: ElementNode | None = root
    for part in parts[1:]:
        if node is None:
            return None
        node = node.children.get(part) or node.children.get(part + "[x]")
    return node


# --- base structure from the fhir.resources R4B models -------------------------------------------------


def _primitive_code(annotation: Any) -> str | None:
    """The FHIR primitive type of a model field annotation, or None for complex types."""
    if annotation is bool:
        return "boolean"
    if typing.get_origin(annotation) is typing.Annotated:
        # the FHIR type marker is the last metadata item (base64Binary also carries an encoder first)
        name = type(typing.get_args(annotation)[-1]).__name__
        return name[0].lower() + name[1:]
    return None


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(inner annotation, is_list) with Optional/None removed."""
    is_list = False
    while True:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin in (typing.Union, __import__("types").UnionType):
            non_none = [a for a in args if a is not type(None)]
            annotation = non_none[0]
            continue
        if origin is list:
            is_list = True
            annotation = args[0]
            continue
        return annotation, is_list


def _complex_name(annotation: Any) -> str:
    return str(getattr(annotation, "__name__", str(annotation))).removesuffix("Type")


FHIR_COMPLEX_FOR_BACKBONE = "BackboneElement"


@cache
def base_tree(model_name: str) -> ElementNode:
    """The base structure of a resource, datatype or backbone element from its R4B model.

    Children are one level deep; each child names the model of its own children (``model_name``).
    Choice fields (``one_of_many``) become one ``name[x]`` child with all their types.
    """
    model = get_fhir_model_class(model_name)
    resource_type = model_name
    root = ElementNode(path=resource_type, name=resource_type, min=0, max=1, model_name=model_name)
    choices: dict[str, ElementNode] = {}
    for field_name, info in model.model_fields.items():
        extra: dict[str, Any] = (
            dict(info.json_schema_extra) if isinstance(info.json_schema_extra, dict) else {}
        )
        if not extra.get("element_property"):
            continue
        name = info.alias or field_name
        inner, is_list = _unwrap(info.annotation)
        primitive = _primitive_code(inner)
        code = primitive or _complex_name(inner)
        nested_model: str | None = None
        if primitive is None and code not in ("Resource",):
            nested_model = code
            if code.startswith(model_name) and code != model_name:
                code = FHIR_COMPLEX_FOR_BACKBONE
        targets = tuple(
            f"http://hl7.org/fhir/StructureDefinition/{t}" for t in extra.get("enum_reference_types", ())
        )
        one_of = extra.get("one_of_many")
        required = bool(info.is_required() or extra.get("element_required"))
        if one_of:
            choice = choices.get(one_of)
            if choice is None:
                choice = ElementNode(
                    path=f"{resource_type}.{one_of}[x]",
                    name=f"{one_of}[x]",
                    min=1 if extra.get("one_of_many_required") else 0,
                    max=1,
                    base_max=1,
                )
                choices[one_of] = choice
                root.children[choice.name] = choice
            choice.types = (*choice.types, TypeRef(code, target_profiles=targets))
            continue
        enum = extra.get("enum_values")
        root.children[name] = ElementNode(
            path=f"{resource_type}.{name}",
            name=name,
            min=1 if required else 0,
            max=UNBOUNDED if is_list else 1,
            base_max=UNBOUNDED if is_list else 1,
            types=(TypeRef(code, target_profiles=targets),),
            enum_values=tuple(enum) if enum else None,
            binding_strength="required" if enum else None,
            model_name=nested_model,
        )
    return root


@cache
def is_model_name(name: str) -> bool:
    try:
        get_fhir_model_class(name)
    except (KeyError, ValueError, AttributeError, ImportError):
        return False
    return True


@cache
def is_resource_type(name: str) -> bool:
    """Whether a model name is a resource (it has ``meta`` and ``implicitRules``) rather than a datatype."""
    if not is_model_name(name):
        return False
    children = base_tree(name).children
    return "meta" in children and "implicitRules" in children


@cache
def base_element(path: str) -> ElementNode | None:
    """The base node at an element path such as ``MessageHeader.response.code``; a choice segment
    (``value[x]``) followed by more segments is tried with each of its types."""
    parts = path.split(".")
    if not is_model_name(parts[0]):
        return None
    return _base_below(base_tree(parts[0]), parts[1:])


def _base_below(node: ElementNode, parts: list[str]) -> ElementNode | None:
    child = node.children.get(parts[0])
    if child is None or len(parts) == 1:
        return child
    if child.model_name is not None:
        return _base_below(base_tree(child.model_name), parts[1:])
    for type_ref in child.types:
        if type_ref.code not in PRIMITIVE_TYPES and is_model_name(type_ref.code):
            found = _base_below(base_tree(type_ref.code), parts[1:])
            if found is not None:
                return found
    return None
