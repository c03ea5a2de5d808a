"""Exceptions raised by the trove package.

Every failure is a :class:`Error`, with one subclass per kind of error the
``trove`` command line reports (``not_found``, ``invalid``, ``conflict``, …).
``str(err)`` is the one-line reason the CLI would print after ``trove:``;
``err.code`` is the stable kind code and ``err.message`` the reason.

Two subclasses help code written for the reference client, which raises
built-in exceptions: :class:`Invalid` is also a :class:`ValueError` and
:class:`NotFound` is also a :class:`LookupError`.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

__all__ = [
    "Error",
    "Invalid",
    "NotFound",
    "Conflict",
    "Corrupt",
    "PermissionDenied",
    "Unauthenticated",
    "TooLarge",
    "Unavailable",
    "Internal",
    "Cancelled",
    "NotLogged",
    "HelperDied",
    "BinaryNotFound",
    "from_code",
]


class Error(Exception):
    """Base class of every error raised by trove.

    Attributes:
        code: the error kind, as the CLI and the HTTP API name it
            (``"not_found"``, ``"invalid"``, …).
        message: the one-line reason.
    """

    code: str = "internal"

    def __init__(self, message: str, code: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class Invalid(Error, ValueError):
    """Bad input: a bad name, path, alias, reference or argument.

    Nothing was changed.
    """

    code = "invalid"


class NotFound(Error, LookupError):
    """The artifact, version, entry, run or project does not exist (or is not
    visible to you)."""

    code = "not_found"

    # LookupError (through KeyError's cousins) would quote the message; keep
    # it the CLI's one line.
    def __str__(self) -> str:
        return self.message


class Conflict(Error):
    """The request conflicts with the store's state: for example a version
    with aliases deleted without ``delete_aliases=True``, or an artifact
    changed after it was logged."""

    code = "conflict"


class Corrupt(Error):
    """Stored or downloaded bytes do not match their digest."""

    code = "corrupt"


class PermissionDenied(Error):
    """The API key in use may not do this."""

    code = "permission_denied"


class Unauthenticated(Error):
    """The server needs an API key and got none, or a bad one."""

    code = "unauthenticated"


class TooLarge(Error):
    """A body, manifest or object exceeds a limit of the store."""

    code = "too_large"


class Unavailable(Error):
    """The server could not be reached, or is overloaded; try again."""

    code = "unavailable"


class Internal(Error):
    """A failure inside trove: please report it."""

    code = "internal"


class Cancelled(Error):
    """The operation was cancelled (by a Ctrl-C in the Python process)."""

    code = "canceled"


class NotLogged(Error):
    """The artifact has not been logged yet, so it has no version, digest,
    size or stored files to look at. Log it with ``run.log_artifact``
    first."""

    code = "not_logged"


class HelperDied(Error):
    """The ``trove helper`` process exited while (or before) serving a
    request. What it was doing is named in the message. The next call starts
    a new helper; runs started in the dead one cannot be continued."""

    code = "helper_died"


class BinaryNotFound(Error):
    """No ``trove`` binary was found to run as the helper."""

    code = "binary_not_found"


_BY_CODE: Dict[str, Type[Error]] = {
    cls.code: cls
    for cls in (
        Invalid,
        NotFound,
        Conflict,
        Corrupt,
        PermissionDenied,
        Unauthenticated,
        TooLarge,
        Unavailable,
        Internal,
        Cancelled,
    )
}
_BY_CODE["cancelled"] = Cancelled


def from_code(code: str, message: str) -> Error:
    """Return the exception for an error kind ``code`` with ``message``.

    An unknown code gives a plain :class:`Error` that keeps the code.
    """
    cls = _BY_CODE.get(code)
    if cls is None:
        return Error(message, code=code or "internal")
    return cls(message)
