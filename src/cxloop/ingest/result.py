"""What one ingest did: the counts, where the rejects went, and why rows were turned away.

Every row read lands in exactly one of four places, so
``read == accepted + quarantined + duplicates + conflicts`` always holds:

- accepted: stored (with ``--update``, rows that replaced a stored row count here
  and in ``updated`` too);
- quarantined: a value failed validation; the row and the reasons are in the
  rejects file and the ``quarantine`` table;
- duplicates: the same key with the same content was already stored or came
  earlier in the file;
- conflicts: the same key with different content (not stored; listed in the
  rejects file; ``--update`` replaces instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The keys of ``IngestResult.to_dict()``, in order; the first six are the public contract.
RESULT_KEYS = (
    "read",
    "accepted",
    "quarantined",
    "duplicates",
    "conflicts",
    "rejects_file",
    "updated",
    "warnings",
)


@dataclass
class Problem:
    """Why one row was turned away: the row as a spreadsheet numbers it, the field, the reason."""

    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}"
        return f"{where}, {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


@dataclass
class IngestResult:
    """The outcome of ingesting one file or batch."""

    entity: str
    source: str
    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    duplicates: int = 0
    conflicts: int = 0
    updated: int = 0
    rejects_file: str | None = None
    ingest_id: str = ""
    warnings: list[str] = field(default_factory=list)
    #: The first problems found (at most ``MAX_EXAMPLES``), in row order.
    reasons: list[Problem] = field(default_factory=list)
    #: How often each kind of problem occurred, e.g. {"nps: above the maximum": 12}.
    reason_counts: dict[str, int] = field(default_factory=dict)

    MAX_EXAMPLES = 20

    @property
    def usable(self) -> bool:
        """True if anything was accepted, or everything good was already stored (a re-run)."""
        return self.accepted > 0 or self.duplicates > 0

    def check(self) -> None:
        """Assert the four counts add up to the rows read (a bug if not)."""
        total = self.accepted + self.quarantined + self.duplicates + self.conflicts
        if total != self.read:
            raise AssertionError(f"ingest counts do not add up: {total} != read {self.read}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape printed by ``cxloop ingest --format json``."""
        return {
            "read": self.read,
            "accepted": self.accepted,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
            "rejects_file": self.rejects_file,
            "updated": self.updated,
            "warnings": list(self.warnings),
        }
