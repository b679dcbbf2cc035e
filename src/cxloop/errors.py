"""Every error cxloop raises on purpose, in one tree.

The CLI and the web app turn these into one-line messages at the edge; anything
else that escapes is a bug.

    CxloopError
    ├── WorkspaceError
    │   ├── WorkspaceNotFound     no cxloop.toml where one was expected
    │   └── WorkspaceExists       init over an existing workspace
    ├── SettingsError             cxloop.toml is invalid
    ├── NotPermitted              beyond the actor's decision rights (cases)
    ├── NotSignedIn               no valid session or API token (web: 401)
    ├── RateLimited               too many failed sign-ins for now (web: 429)
    ├── NotificationFailed        an e-mail or webhook could not be delivered
    ├── InputError                an input file cannot be used at all
    │   ├── InputUnreadable       missing, empty, undecodable or malformed file
    │   └── MappingError          the mapping file is invalid or does not fit the input
    ├── StoreError                an analytics or app store cannot be reached or used
    │   ├── BackendUnsupported    the configured backend lacks a needed feature
    │   ├── RecordConflict        someone else changed or created the same record first
    │   └── RecordInvalid         a record the app store cannot accept (unknown role, ...)
    └── AnalysisError             an analysis cannot be computed
        ├── UnknownDimension      --by names no known dimension
        ├── MissingData           the data a metric needs was never loaded
        ├── UnknownMetric         a metric or theme that cxloop does not know
        │   └── UnknownTarget     a root-cause target: no such theme, parent or segment
        └── UnknownCustomer       a customer id not in the customers table
"""

from __future__ import annotations

import pyarrow as pa

#: pyarrow's errors when a column cannot be cast: a value it cannot parse (ArrowInvalid)
#: or a cast between types it does not offer. Caught at the edge of ingest and analyses
#: and turned into one-line messages naming the column.
ARROW_CAST_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError)


class CxloopError(Exception):
    """Root of every error cxloop raises on purpose."""


class WorkspaceError(CxloopError):
    """A workspace cannot be created or opened."""


class WorkspaceNotFound(WorkspaceError):
    """No cxloop.toml where a workspace was expected."""


class WorkspaceExists(WorkspaceError):
    """A workspace already exists where a new one was asked for."""


class SettingsError(CxloopError):
    """cxloop.toml (or an override) holds an invalid value."""


class InputError(CxloopError):
    """An input file cannot be used at all."""


class InputUnreadable(InputError):
    """An input file is missing, empty, undecodable or malformed.

    The message always names the file and, where known, the line.
    """

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{self.path}: line {line}" if line else self.path
        super().__init__(f"{where}: {message}")


class MappingError(InputError):
    """The mapping file is invalid or does not fit the input."""


class StoreError(CxloopError):
    """A store cannot be reached or used."""


class BackendUnsupported(StoreError):
    """The configured analytics backend lacks a feature cxloop needs."""


class RecordConflict(StoreError):
    """Someone else changed or created the same app-store record first; nothing was overwritten."""


class RecordInvalid(StoreError):
    """A record the app store cannot accept: an unknown role, an empty name, a value not JSON."""


class AnalysisError(CxloopError):
    """An analysis cannot be computed."""


class UnknownDimension(AnalysisError):
    """A grouping dimension that cxloop does not know."""


class MissingData(AnalysisError):
    """The data a metric needs has not been loaded."""


class UnknownMetric(AnalysisError):
    """A metric (or theme) name that cxloop does not know, e.g. in a control chart."""


class UnknownTarget(UnknownMetric):
    """A root-cause target (``cxloop why``) that is no theme, parent theme or segment."""


class UnknownCustomer(AnalysisError):
    """A customer id that is not in the customers table (e.g. ``cxloop customer ID``)."""


class NotPermitted(CxloopError):
    """The actor's role does not have the decision right asked for (e.g. a refund above
    their limit); nothing was changed."""


class NotificationFailed(CxloopError):
    """A notification (e-mail or webhook) could not be delivered."""


class NotSignedIn(CxloopError):
    """No valid sign-in: no session cookie or API token, or one that expired or was revoked."""


class RateLimited(CxloopError):
    """Too many failed sign-ins for this username or address; ``retry_after`` is in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(message)
