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
    ├── AcknowledgementError          a message cannot be acknowledged (no MessageHeader, sender or id)
    ├── MessageBuildError             a message cannot be built from this journal
    │   ├── NotCalledForError         the journal does not call for this message (disposition, CPR, consent)
    │   ├── UnknownReceiverError      a sender or receiver organisation cannot be addressed (SOR, GLN)
    │   ├── MessageTooLargeError      the message is larger than the transport allows
    │   └── WrongPatientError         after sending, the identity changed to another person: manual handling
    └── EnvelopeError                 a VANSEnvelope cannot be written or read
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


class MessageBuildError(MedcomError):
    """Raised when a message cannot be built from a journal; the message names the field or rule."""


class NotCalledForError(MessageBuildError):
    """Raised when the journal does not call for this message: a handover needs a transported patient, the
    epikrise a patient treated and released with a CPR, the home-care notice the patient's consent."""


class UnknownReceiverError(MessageBuildError):
    """Raised when a sender or receiver organisation has no valid SOR id, GLN or name (it cannot be
    addressed), or when no receiver is known for the message."""


class MessageTooLargeError(MessageBuildError):
    """Raised when a built message (or envelope) is larger than the transport's limit."""


class WrongPatientError(MessageBuildError):
    """Raised when a message was sent for one person and the journal now identifies another: no automatic
    correction is possible (the receiver filed it under the wrong patient); a person must handle it."""


class EnvelopeError(MedcomError):
    """Raised when a VANSEnvelope cannot be written (bad addresses) or read (not an envelope, bad data)."""
