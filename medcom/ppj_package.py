"""PPJ's own FHIR package (``ppj.fhir.handover``): snapshots generated from our differentials, and the .tgz.

The source is JSON in ``medcom/profiles/ppj/`` (differentials only; see docs/medcom-handover-profile.md). The
validator needs snapshots, so this module generates them:

* A profile that *restates* a MedCom profile (extension ``snapshot-restates`` names it) starts from that
  profile's published snapshot; our differential then replaces what it names — also where that loosens
  the MedCom profile (the event code binding, a Reference's target profile). That is the documented
  deviation: the handover restates the MedCom messaging framework rather than deriving from it, because a
  derived profile could not change the MedCom event code binding.
* Any other profile starts from its ``baseDefinition``'s snapshot when that is loaded (a MedCom or DK Core
  profile), else from the base FHIR structure of its type (from the R4B models: root and top-level
  elements, expanded further only where the differential reaches deeper).

Applying a differential element: an element with the same id is updated key by key; an element that is
not there yet is inserted at the end of its parent's subtree (its parent is first expanded from the base
structure when it has no children listed), a new slice is a copy of the sliced element without slicing.
The package is written to a directory given by the caller (a temp dir in tests), never into the repo.
"""

from __future__ import annotations

import copy
import io
import json
import tarfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from medcom.errors import PackageError
from medcom.fhir_packages import PackageRegistry, default_package_dirs
from medcom.fhir_structure import UNBOUNDED, ElementNode, base_element, base_tree

PROFILE_SOURCE = Path(__file__).resolve().parent / "profiles" / "ppj"
RESTATES_EXTENSION = "http://ppj.dk/fhir/StructureDefinition/snapshot-restates"
BASE_PREFIX = "http://hl7.org/fhir/StructureDefinition/"
PACKAGE_NAME = "ppj.fhir.handover"


def read_sources(source: Path = PROFILE_SOURCE) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The package manifest and the conformance resources of the source directory."""
    manifest_path = source / "package.json"
    if not manifest_path.is_file():
        raise PackageError(f"{source}: no package.json")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    resources = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(source.glob("*.json"))
        if path.name != "package.json"
    ]
    return manifest, resources


def _max_text(value: int) -> str:
    return "*" if value == UNBOUNDED else str(value)


def _element_from_base(path: str, node: ElementNode) -> dict[str, Any]:
    types = [{"code": t.code} for t in node.types]
    element: dict[str, Any] = {
        "id": path,
        "path": path,
        "min": node.min,
        "max": _max_text(node.max),
        "base": {"path": path, "min": node.min, "max": _max_text(node.base_max)},
    }
    if types:
        element["type"] = types
    return element


def _base_children(path: str) -> list[tuple[str, ElementNode]]:
    """The base child elements of an element path (``Composition.section`` → its code, text, …)."""
    node = base_tree(path) if "." not in path else base_element(path)
    if node is None:
        return []
    if "." not in path:
        children = node.children
    elif node.model_name is not None:
        children = base_tree(node.model_name).children
    else:
        model = next((t.code for t in node.types if t.code[:1].isupper()), None)
        children = base_tree(model).children if model else {}
    return [(f"{path}.{name}", child) for name, child in children.items()]


def _plain_path(element_id: str) -> str:
    """The element path of an id: slice names removed (``Composition.section:times.code`` → …section.code)."""
    return ".".join(part.split(":", 1)[0] for part in element_id.split("."))


class _Snapshot:
    """An ordered list of element definitions, addressable by id."""

    def __init__(self, elements: list[dict[str, Any]]) -> None:
        self.elements = elements

    def index(self, element_id: str) -> int | None:
        for i, element in enumerate(self.elements):
            if element.get("id") == element_id:
                return i
        return None

    def subtree_end(self, element_id: str) -> int:
        """The index after the last element inside ``element_id``'s subtree (itself, children, slices)."""
        start = self.index(element_id)
        if start is None:
            raise PackageError(f"snapshot has no element {element_id}")
        end = start + 1
        while end < len(self.elements):
            other = str(self.elements[end].get("id", ""))
            if other.startswith((element_id + ".", element_id + ":")):
                end += 1
            else:
                break
        return end

    def has_children(self, element_id: str) -> bool:
        return any(str(e.get("id", "")).startswith(element_id + ".") for e in self.elements)

    def expand(self, element_id: str) -> None:
        """List the base children of an element that has none listed yet (so siblings stay valid)."""
        if self.has_children(element_id):
            return
        at = self.subtree_end(element_id)
        children = [
            {**_element_from_base(path, node), "id": element_id + path[len(_plain_path(element_id)) :]}
            for path, node in _base_children(_plain_path(element_id))
        ]
        self.elements[at:at] = children

    def ensure(self, element_id: str) -> int:
        """The index of ``element_id``, inserting it (and expanding its parent) when missing."""
        found = self.index(element_id)
        if found is not None:
            return found
        parts = element_id.split(".")
        last = parts[-1]
        if ":" in last:
            sliced = ".".join([*parts[:-1], last.split(":", 1)[0]])
            self.ensure(sliced)
            template = copy.deepcopy(self.elements[self.index(sliced) or 0])
            template.pop("slicing", None)
            template["id"], template["sliceName"] = element_id, last.split(":", 1)[1]
            at = self.subtree_end(sliced)
            self.elements.insert(at, template)
            return at
        parent = ".".join(parts[:-1])
        self.ensure(parent)
        self.expand(parent)
        found = self.index(element_id)
        if found is None:
            raise PackageError(f"{element_id}: no such element in the base structure")
        return found

    def apply(self, differential: Iterable[dict[str, Any]]) -> None:
        for diff in differential:
            at = self.ensure(diff["id"])
            target = self.elements[at]
            for key, value in diff.items():
                if key == "constraint":
                    kept = [
                        c for c in target.get("constraint", []) if c["key"] not in {v["key"] for v in value}
                    ]
                    target["constraint"] = kept + copy.deepcopy(value)
                elif key.startswith(("fixed", "pattern")):
                    for old in [k for k in target if k.startswith(("fixed", "pattern"))]:
                        del target[old]
                    target[key] = copy.deepcopy(value)
                else:
                    target[key] = copy.deepcopy(value)


def _starting_snapshot(definition: dict[str, Any], registry: PackageRegistry) -> list[dict[str, Any]]:
    restated = next(
        (
            e.get("valueCanonical")
            for e in definition.get("extension", [])
            if e.get("url") == RESTATES_EXTENSION
        ),
        None,
    )
    start_url = restated or str(definition.get("baseDefinition", ""))
    if not start_url.startswith(BASE_PREFIX):
        found = registry.resolve(start_url, None)
        if found is None:
            raise PackageError(f"{definition.get('url')}: {start_url} is not in the loaded packages")
        return copy.deepcopy(list(found[0]["snapshot"]["element"]))
    rtype = str(definition["type"])
    root = _element_from_base(rtype, base_tree(rtype))
    root["min"], root["max"], root["base"] = 0, "*", {"path": rtype, "min": 0, "max": "*"}
    return [root] + [_element_from_base(path, node) for path, node in _base_children(rtype)]


def with_snapshot(definition: dict[str, Any], registry: PackageRegistry) -> dict[str, Any]:
    """The StructureDefinition with a snapshot generated from its differential (see the module doc)."""
    snapshot = _Snapshot(_starting_snapshot(definition, registry))
    snapshot.apply(definition["differential"]["element"])
    out = copy.deepcopy(definition)
    out["snapshot"] = {"element": snapshot.elements}
    return out


def build_package(
    directory: Path, *, registry: PackageRegistry | None = None, source: Path = PROFILE_SOURCE
) -> Path:
    """Write ``ppj.fhir.handover-<version>.tgz`` (manifest, .index.json, resources with snapshots) into
    ``directory`` and return its path. ``registry`` holds the MedCom packages the snapshots start from."""
    registry = registry or PackageRegistry(default_package_dirs())
    manifest, resources = read_sources(source)
    files: dict[str, Any] = {"package/package.json": manifest}
    index: list[dict[str, Any]] = []
    for resource in resources:
        if resource.get("resourceType") == "StructureDefinition":
            resource = with_snapshot(resource, registry)
        name = f"{resource['resourceType']}-{resource['id']}.json"
        files[f"package/{name}"] = resource
        index.append(
            {
                "filename": name,
                "resourceType": resource["resourceType"],
                "id": resource["id"],
                "url": resource["url"],
                "version": resource.get("version"),
            }
        )
    files["package/.index.json"] = {"index-version": 1, "files": index}
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{manifest['name']}-{manifest['version']}.tgz"
    with tarfile.open(path, "w:gz") as tar:
        for name, content in files.items():
            data = json.dumps(content, ensure_ascii=False, indent=1).encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0  # reproducible bytes for the same source
            tar.addfile(info, io.BytesIO(data))
    return path
