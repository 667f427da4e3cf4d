"""Code membership in the packages' ValueSets and CodeSystems.

A ValueSet is expanded once per (canonical URL, package context): explicit concepts, whole CodeSystems
found in the packages, and included ValueSets. Parts that cannot be expanded here — a CodeSystem that is
not loaded (e.g. SNOMED CT, HL7 terminology), or a ``filter`` — make the answer for codes of that system
"unknown", which the validator reports as a warning naming the system; it never counts as a pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from medcom.fhir_packages import Package, PackageRegistry


class Membership(Enum):
    MEMBER = "member"
    NOT_MEMBER = "not-member"
    UNKNOWN = "unknown"


@dataclass
class Expansion:
    """The (system, code) pairs of a ValueSet, plus the systems whose codes could not be enumerated."""

    url: str
    codes: set[tuple[str, str]] = field(default_factory=set)
    unchecked_systems: dict[str, str] = field(default_factory=dict)

    def membership(self, system: str | None, code: str) -> tuple[Membership, str]:
        """Whether the code is in the set; for UNKNOWN the second item says why."""
        if system is None:
            if any(c == code for _, c in self.codes):
                return Membership.MEMBER, ""
            if self.unchecked_systems:
                reason = "; ".join(sorted(set(self.unchecked_systems.values())))
                return Membership.UNKNOWN, reason
            return Membership.NOT_MEMBER, ""
        if (system, code) in self.codes:
            return Membership.MEMBER, ""
        if system in self.unchecked_systems:
            return Membership.UNKNOWN, self.unchecked_systems[system]
        return Membership.NOT_MEMBER, ""

    def systems(self) -> set[str]:
        return {s for s, _ in self.codes}


def _concepts(concepts: Iterable[dict[str, Any]]) -> Iterable[str]:
    for concept in concepts:
        yield concept["code"]
        yield from _concepts(concept.get("concept", ()))


class Terminology:
    """Expands ValueSets from the loaded packages, with a cache per (url, context package)."""

    def __init__(self, registry: PackageRegistry) -> None:
        self.registry = registry
        self._expansions: dict[tuple[str, str], Expansion | None] = {}

    def expansion(self, url: str, context: Package | None) -> Expansion | None:
        """The expansion of a ValueSet, or None when the ValueSet itself is not in any loaded package."""
        key = (url, context.label if context else "")
        if key not in self._expansions:
            self._expansions[key] = self._expand(url, context, depth=0)
        return self._expansions[key]

    def _expand(self, url: str, context: Package | None, depth: int) -> Expansion | None:
        found = self.registry.resolve(url, context)
        if found is None or found[0].get("resourceType") != "ValueSet" or depth > 10:
            return None
        value_set, package = found
        expansion = Expansion(url)
        compose = value_set.get("compose", {})
        for include in compose.get("include", ()):
            self._include(expansion, include, package, depth)
        for exclude in compose.get("exclude", ()):
            removed = Expansion(url)
            self._include(removed, exclude, package, depth)
            expansion.codes -= removed.codes
        if not compose:
            for item in value_set.get("expansion", {}).get("contains", ()):
                expansion.codes.add((item.get("system", ""), item.get("code", "")))
        return expansion

    def _include(self, expansion: Expansion, include: dict[str, Any], context: Package, depth: int) -> None:
        system = include.get("system")
        for vs_url in include.get("valueSet", ()):
            nested = self._expand(vs_url, context, depth + 1)
            if nested is None:
                expansion.unchecked_systems[system or vs_url] = f"ValueSet {vs_url} is not available"
            else:
                expansion.codes |= nested.codes
                expansion.unchecked_systems.update(nested.unchecked_systems)
        if system is None:
            return
        if include.get("concept"):
            expansion.codes |= {(system, c["code"]) for c in include["concept"]}
            return
        if include.get("filter"):
            expansion.unchecked_systems[system] = f"filters on CodeSystem {system} are not evaluated here"
            return
        code_system = self.registry.resolve(system, context)
        if code_system is None or code_system[0].get("resourceType") != "CodeSystem":
            expansion.unchecked_systems[system] = f"CodeSystem {system} is not available"
            return
        content = code_system[0].get("content", "complete")
        if content not in ("complete", "fragment"):
            expansion.unchecked_systems[system] = f"CodeSystem {system} has content '{content}'"
            return
        expansion.codes |= {(system, code) for code in _concepts(code_system[0].get("concept", ()))}
