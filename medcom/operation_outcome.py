"""Validation results: issues and the FHIR OperationOutcome they are reported as."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """FHIR issue-severity codes, most severe first."""

    FATAL = "fatal"
    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding. ``location`` is a FHIRPath with indexes, e.g. ``Bundle.entry[0].resource.id``.

    ``code`` is a FHIR issue-type code (``required``, ``value``, ``invariant``, ``structure``,
    ``code-invalid``, ``not-found``, ``informational``, ``processing``, ``too-long``, ``invalid``).
    """

    severity: Severity
    location: str
    message: str
    code: str = "invalid"

    def line(self) -> str:
        return f"{self.severity.value:<11} {self.location or '-'}: {self.message}"


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """The issues found, in the order found, without duplicates."""

    issues: tuple[Issue, ...]

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity in (Severity.FATAL, Severity.ERROR))

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def to_operation_outcome(self) -> dict[str, Any]:
        """The FHIR R4 OperationOutcome (JSON) of this result; an empty result says so in one issue."""
        issues = self.issues or (Issue(Severity.INFORMATION, "", "No issues found", "informational"),)
        return {
            "resourceType": "OperationOutcome",
            "issue": [issue_to_fhir(i) for i in issues],
        }


def issue_to_fhir(issue: Issue) -> dict[str, Any]:
    out: dict[str, Any] = {
        "severity": issue.severity.value,
        "code": issue.code,
        "diagnostics": issue.message,
    }
    if issue.location:
        out["expression"] = [issue.location]
    return out
