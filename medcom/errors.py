"""Errors of the ``medcom`` package.

Validation findings are never exceptions: they are issues in an OperationOutcome. Exceptions mean that the
work could not be done at all (the input is not something that can be validated, a package is unreadable,
a message cannot be acknowledged)::

    MedcomError                       base of everything raised by medcom
    ├── PackageError                  a FHIR IG package (.tgz) or package directory cannot be read
    ├── InputError                    the input cannot be validated at all (nothing to report issues on)
    │   ├── InputTooLargeError        the file is larger than the configured limit
    │   ├── NotJsonOrXmlError         the bytes are neither JSON nor XML (or are malformed)
    │   └── NotAFhirResourceError     well-formed JSON/XML that is not a FHIR resource
    └── AcknowledgementError          a message cannot be acknowledged (no MessageHeader, sender or id)
"""

from __future__ import annotations


class MedcomError(Exception):
    """Base of every exception raised by the medcom package."""


class PackageError(MedcomError):
    """Raised when a package file is not a readable FHIR NPM package, or a package directory is missing."""


class InputError(MedcomError):
    """Raised when the input cannot be validated at all; the message says why in plain words."""


class InputTooLargeError(InputError):
    """Raised when the input is larger than the configured size limit (checked before reading it)."""


class NotJsonOrXmlError(InputError):
    """Raised when the input is neither well-formed JSON nor well-formed XML."""


class NotAFhirResourceError(InputError):
    """Raised when the input parses but is not a FHIR resource (no known resourceType / FHIR namespace)."""


class AcknowledgementError(MedcomError):
    """Raised when no Acknowledgement can be addressed: the message has no MessageHeader, id or sender."""
