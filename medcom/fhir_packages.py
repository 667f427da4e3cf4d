"""FHIR IG packages (NPM ``.tgz``): loading, and resolving canonical URLs within a package's dependencies.

A package is read in place from its tarball; only the conformance resources a validator needs
(StructureDefinition, ValueSet, CodeSystem) are parsed. A canonical URL is resolved from the point of view
of a package: first the package itself, then its dependencies breadth-first. Where a dependency asks for a
version that is not loaded (Acknowledgement 2.0.3 was built on DK Core 2.0.0, which is not published as a
package here), the closest loaded version is used instead — same major version if possible, else the
highest — and the substitution is reported, never hidden.
"""

from __future__ import annotations

import json
import os
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from medcom.errors import PackageError

CONFORMANCE_TYPES = frozenset({"StructureDefinition", "ValueSet", "CodeSystem"})
PACKAGES_ENV = "PPJ_FHIR_PACKAGES"
REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_PACKAGES = Path("shared") / "reference" / "medcom" / "packages"
# The base FHIR package is never loaded here: base structure comes from the fhir.resources R4B models.
BASE_PACKAGE = "hl7.fhir.r4.core"


def shared_reference_dir() -> Path:
    """``../shared`` next to the repository: a clone has it beside itself, a worktree one level higher."""
    for ancestor in REPO_ROOT.parents:
        candidate = ancestor / "shared"
        if (candidate / "reference").is_dir():
            return candidate
    return REPO_ROOT.parent / "shared"


def default_package_dirs() -> list[Path]:
    """``$PPJ_FHIR_PACKAGES`` (os.pathsep-separated) if set, else the shared reference packages."""
    configured = os.environ.get(PACKAGES_ENV)
    if configured:
        return [Path(p) for p in configured.split(os.pathsep) if p]
    return [shared_reference_dir() / "reference" / "medcom" / "packages"]


def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """Sort key for semantic-ish versions: numeric parts numerically, pre-release text after."""
    parts: list[tuple[int, str]] = []
    for piece in version.replace("-", ".").split("."):
        parts.append((int(piece), "") if piece.isdigit() else (-1, piece))
    return tuple(parts)


@dataclass(frozen=True, slots=True)
class Substitution:
    """A dependency resolved to another version than the one the package asked for."""

    requested_by: str
    package: str
    wanted: str
    used: str | None

    def message(self) -> str:
        if self.used is None:
            return (
                f"package {self.requested_by} depends on {self.package}#{self.wanted}, which is not loaded; "
                "definitions from it cannot be resolved"
            )
        return (
            f"package {self.requested_by} depends on {self.package}#{self.wanted}, which is not loaded; "
            f"using {self.package}#{self.used} instead"
        )


@dataclass
class Package:
    """One loaded package: its manifest and its conformance resources by canonical URL."""

    name: str
    version: str
    dependencies: dict[str, str]
    path: Path
    resources: dict[str, dict[str, Any]] = field(repr=False)

    @property
    def label(self) -> str:
        return f"{self.name}#{self.version}"


def load_package(path: Path) -> Package:
    """Read a package tarball; raises PackageError naming the file when it is not a FHIR package."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            members = {m.name: m for m in tar.getmembers() if m.isfile()}
            manifest = _read_json(tar, members, "package/package.json", path)
            resources: dict[str, dict[str, Any]] = {}
            for name in _conformance_files(tar, members, path):
                resource = _read_json(tar, members, name, path)
                url = resource.get("url")
                if isinstance(url, str) and resource.get("resourceType") in CONFORMANCE_TYPES:
                    resources[url] = resource
    except (OSError, tarfile.TarError) as exc:
        raise PackageError(f"{path}: not a readable FHIR package ({exc})") from exc
    name, version = manifest.get("name"), manifest.get("version")
    if not isinstance(name, str) or not isinstance(version, str):
        raise PackageError(f"{path}: package/package.json lacks name or version")
    deps = manifest.get("dependencies") or {}
    return Package(name, version, {str(k): str(v) for k, v in deps.items()}, path, resources)


def _read_json(tar: tarfile.TarFile, members: Mapping[str, tarfile.TarInfo], name: str, path: Path) -> Any:
    member = members.get(name)
    if member is None:
        raise PackageError(f"{path}: package lacks {name}")
    handle = tar.extractfile(member)
    if handle is None:
        raise PackageError(f"{path}: cannot read {name}")
    try:
        return json.loads(handle.read())
    except ValueError as exc:
        raise PackageError(f"{path}: {name} is not JSON ({exc})") from exc


def _conformance_files(
    tar: tarfile.TarFile, members: Mapping[str, tarfile.TarInfo], path: Path
) -> Iterable[str]:
    """Names of the conformance resources in the package root, from .index.json when present."""
    if "package/.index.json" in members:
        index = _read_json(tar, members, "package/.index.json", path)
        for entry in index.get("files", []):
            if entry.get("resourceType") in CONFORMANCE_TYPES:
                yield "package/" + entry["filename"]
        return
    for name in members:
        base = name.removeprefix("package/")
        if "/" not in base and base.split("-", 1)[0] in CONFORMANCE_TYPES and base.endswith(".json"):
            yield name


class PackageRegistry:
    """All packages found in some directories; resolves canonical URLs from a package's point of view."""

    def __init__(self, directories: Iterable[Path]) -> None:
        self.packages: list[Package] = []
        for directory in directories:
            if not directory.is_dir():
                raise PackageError(f"package directory {directory} does not exist")
            for path in sorted(directory.glob("*.tgz")):
                self.packages.append(load_package(path))
        self._by_name: dict[str, list[Package]] = {}
        for package in self.packages:
            self._by_name.setdefault(package.name, []).append(package)
        for versions in self._by_name.values():
            versions.sort(key=lambda p: version_key(p.version), reverse=True)
        self._closures: dict[str, tuple[list[Package], list[Substitution]]] = {}

    @classmethod
    def from_default_dirs(cls, extra: Iterable[Path] = ()) -> PackageRegistry:
        return cls([*default_package_dirs(), *extra])

    def find(self, name: str, version: str) -> tuple[Package | None, bool]:
        """The package for name#version, or the closest loaded version; the flag says if it is exact."""
        versions = self._by_name.get(name, [])
        for package in versions:
            if package.version == version:
                return package, True
        if not versions:
            return None, False
        major = version.split(".", 1)[0]
        same_major = [p for p in versions if p.version.split(".", 1)[0] == major]
        return (same_major or versions)[0], False

    def closure(self, package: Package) -> tuple[list[Package], list[Substitution]]:
        """The package and its dependencies, breadth-first, with the substitutions that were needed."""
        cached = self._closures.get(package.label)
        if cached is not None:
            return cached
        order: list[Package] = [package]
        seen = {package.label}
        substitutions: list[Substitution] = []
        queue = [package]
        while queue:
            current = queue.pop(0)
            for dep_name, dep_version in current.dependencies.items():
                if dep_name == BASE_PACKAGE:
                    continue
                found, exact = self.find(dep_name, dep_version)
                if not exact:
                    substitutions.append(
                        Substitution(current.label, dep_name, dep_version, found.version if found else None)
                    )
                if found is not None and found.label not in seen:
                    seen.add(found.label)
                    order.append(found)
                    queue.append(found)
        self._closures[package.label] = (order, substitutions)
        return order, substitutions

    def resolve(self, url: str, context: Package | None) -> tuple[dict[str, Any], Package] | None:
        """A conformance resource by canonical URL (``url|version`` accepted), seen from ``context``.

        Outside the context's dependency closure (or without a context) the highest loaded version wins.
        """
        canonical, _, _version = url.partition("|")
        if context is not None:
            for package in self.closure(context)[0]:
                resource = package.resources.get(canonical)
                if resource is not None:
                    return resource, package
        for package in self._ordered_all:
            resource = package.resources.get(canonical)
            if resource is not None:
                return resource, package
        return None

    @cached_property
    def _ordered_all(self) -> list[Package]:
        """Every package, highest version of each name first (so unscoped look-ups prefer the newest)."""
        return sorted(self.packages, key=lambda p: version_key(p.version), reverse=True)
