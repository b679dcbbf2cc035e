"""Import a history of coaching sessions from a CSV file (e.g. a spreadsheet kept by team
leaders, or the demo simulator's ``coaching.csv``).

One row per agent per session. Columns: ``employee_id``, ``leader_id``, ``held_on``
(YYYY-MM-DD), ``focus_theme`` or ``focus_areas`` (comma-separated), and optionally
``programme``, ``agreed_actions``, ``follow_up_on`` (a date, or empty: ``held_on +
coaching.follow_up_days``), ``kind`` (one_to_one, the default, or workshop).

* **Idempotent.** Each row gets a stable key from its employee, leader, date, focus areas
  and programme; a row whose key is already in the app store is counted and skipped, so
  importing the same file again adds nothing.
* **Follow-ups linked.** A later session for the same agent, focus areas and programme
  within ``2 × coaching.follow_up_days`` of an earlier one that was not followed up yet
  becomes its follow-up: ``follow_up_of`` names the earlier one, which gets
  ``followed_up_on``.
* **History is not news.** A follow-up already overdue when it is imported is marked as
  reminded and notified at import time, so importing years of history does not send
  hundreds of reminders; it still shows in ``cxloop coach follow-ups --overdue``.
* **Bad rows** (unknown employee, bad date, unknown focus area, missing value) are reported
  one line each, naming the file, the row (the line number, header = 1) and the field,
  and skipped. A file with no usable row raises ``InputUnreadable``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import select

from ..act.cases_sync import load_org
from ..errors import InputUnreadable, RecordInvalid
from ..store.app import audit
from ..store.app.models import CoachingAttendee, CoachingSession
from ..text.workspace_tags import workspace_taxonomy
from .focus import parse_focus
from .sessions import as_day, follow_up_day, parse_kind

IMPORT_ACTOR = "import"
REQUIRED = ("employee_id", "leader_id", "held_on")
FOCUS_LIMIT, ACTIONS_LIMIT = 1_000, 10_000


@dataclass
class ImportResult:
    """What one import did."""

    file: str
    rows: int = 0
    added: int = 0
    already: int = 0  # rows imported before (same key)
    linked: int = 0  # follow-ups recognised
    skipped: list[str] = field(default_factory=list)  # one line per bad row

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Row:
    line: int
    employee_id: str
    leader_id: str
    held_on: dt.date
    focus: list[str]
    programme: str | None
    agreed_actions: str | None
    follow_up_on: dt.date | None
    kind: str
    key: str


def import_sessions(ws, path: str | Path, *, now: dt.datetime | None = None) -> ImportResult:
    """Import the sessions in ``path`` (see the module docstring); returns the counts."""
    path = Path(path)
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    result = ImportResult(file=str(path))
    rows = _read(ws, path, result)
    with ws.app.session("importing coaching sessions") as session:
        known = set()
        for start in range(0, len(rows), 5000):
            chunk = [r.key for r in rows[start : start + 5000]]
            known.update(session.scalars(select(CoachingSession.external_key)
                                         .where(CoachingSession.external_key.in_(chunk))))  # fmt: skip
        new = [r for r in rows if r.key not in known]
        result.already = len(rows) - len(new)
        open_ones = _open_sessions(session, {r.employee_id for r in new})
        window = dt.timedelta(days=2 * ws.settings.coaching.follow_up_days)
        for r in sorted(new, key=lambda r: (r.held_on, r.line)):
            row = CoachingSession(
                kind=parse_kind(r.kind, 1), leader_id=r.leader_id, held_on=r.held_on,
                programme=r.programme, focus_areas=r.focus, agreed_actions=r.agreed_actions,
                follow_up_on=r.follow_up_on, source="import", external_key=r.key,
                created_by=IMPORT_ACTOR,
            )  # fmt: skip
            if r.follow_up_on is not None and r.follow_up_on < now.date():
                row.reminded_at = row.overdue_notified_at = now
            slot = (r.employee_id, tuple(r.focus), r.programme)
            earlier = open_ones.get(slot)
            if (earlier is not None and earlier.followed_up_on is None
                    and earlier.held_on < r.held_on <= earlier.held_on + window):  # fmt: skip
                earlier.followed_up_on = r.held_on
                row.follow_up_of = earlier.id
                result.linked += 1
            session.add(row)
            session.flush()
            session.add(CoachingAttendee(session_id=row.id, employee_id=r.employee_id))
            open_ones[slot] = row
        session.flush()
        result.added = len(new)
        if new:
            audit.add_event(session, actor=IMPORT_ACTOR, entity="coaching_sessions",
                            entity_id=f"import {path.name} {now.isoformat()}", action="import",
                            after={"file": str(path), "added": result.added,
                                   "already": result.already, "linked": result.linked,
                                   "skipped": len(result.skipped)})  # fmt: skip
    return result


def _open_sessions(session, agents: set[str]) -> dict[tuple, CoachingSession]:
    """The latest stored session per (agent, focus areas, programme) for these agents."""
    out: dict[tuple, CoachingSession] = {}
    if not agents:
        return out
    agent_list = sorted(agents)
    for start in range(0, len(agent_list), 5000):
        chunk = agent_list[start : start + 5000]
        query = (select(CoachingAttendee.employee_id, CoachingSession)
                 .join(CoachingSession, CoachingSession.id == CoachingAttendee.session_id)
                 .where(CoachingAttendee.employee_id.in_(chunk))
                 .order_by(CoachingSession.held_on, CoachingSession.id))  # fmt: skip
        for eid, row in session.execute(query):
            out[(eid, tuple(row.focus_areas or []), row.programme)] = row
    return out


def _read(ws, path: Path, result: ImportResult) -> list[_Row]:
    if not path.is_file():
        raise InputUnreadable(str(path), "no such file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [h.strip().lower() for h in (reader.fieldnames or [])]
            reader.fieldnames = header
            missing = [c for c in REQUIRED if c not in header]
            if "focus_theme" not in header and "focus_areas" not in header:
                missing.append("focus_theme (or focus_areas)")
            if missing:
                raise InputUnreadable(str(path), f"missing column(s): {', '.join(missing)}", 1)
            raw = list(reader)
    except UnicodeDecodeError as e:
        raise InputUnreadable(str(path), f"not UTF-8 text: {e}") from None
    except csv.Error as e:
        raise InputUnreadable(str(path), f"not a CSV file: {e}") from None
    org = load_org(ws)
    taxonomy = workspace_taxonomy(ws)
    focus_cache: dict[str, str] = {}
    rows: list[_Row] = []
    seen: set[str] = set()
    for i, values in enumerate(raw, start=2):
        result.rows += 1
        try:
            row = _parse(ws, values, i, org, taxonomy, focus_cache)
        except _BadRow as e:
            result.skipped.append(f"{path.name}: row {i}: {e}")
            continue
        if row.key in seen:
            result.already += 1
            continue
        seen.add(row.key)
        rows.append(row)
    if not rows:
        reasons = "; ".join(result.skipped[:3]) or "it has no rows"
        raise InputUnreadable(str(path), f"no usable coaching session: {reasons}")
    return rows


class _BadRow(Exception):
    """One row that cannot be imported (the message names the field)."""


def _parse(ws, values: dict, line: int, org, taxonomy, focus_cache: dict[str, str]) -> _Row:
    def text(name: str, limit: int) -> str | None:
        value = (values.get(name) or "").strip()
        if "\x00" in value:
            raise _BadRow(f"{name}: contains a NUL character")
        if len(value) > limit:
            raise _BadRow(f"{name}: {len(value)} characters, the limit is {limit}")
        return value or None

    employee = text("employee_id", 128)
    leader = text("leader_id", 128)
    if not employee:
        raise _BadRow("employee_id: empty")
    if employee not in org.role:
        raise _BadRow(f"employee_id: unknown employee {employee!r}")
    if not leader:
        raise _BadRow("leader_id: empty")
    try:
        held = as_day(values.get("held_on") or "", "held_on")
    except RecordInvalid:
        raise _BadRow(f"held_on: {values.get('held_on')!r} is not a date (YYYY-MM-DD)") from None
    names = text("focus_areas", FOCUS_LIMIT) or text("focus_theme", FOCUS_LIMIT)
    if not names:
        raise _BadRow("focus_theme: empty")
    focus = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if name not in focus_cache:
            try:
                focus_cache[name] = parse_focus(ws, name, taxonomy).name
            except RecordInvalid:
                raise _BadRow(f"focus_theme: unknown focus area {name!r}") from None
        focus.append(focus_cache[name])
    focus = list(dict.fromkeys(focus))
    programme = text("programme", 200)
    try:
        due = follow_up_day(ws, held, values.get("follow_up_on") or None)
    except RecordInvalid as e:
        raise _BadRow(f"follow_up_on: {e}") from None
    kind = text("kind", 32) or "one_to_one"
    try:
        parse_kind(kind, 1)
    except RecordInvalid as e:
        raise _BadRow(f"kind: {e}") from None
    key_text = "|".join([employee, leader, held.isoformat(), ",".join(focus), programme or ""])
    key = "csv:" + hashlib.sha256(key_text.encode()).hexdigest()[:40]
    return _Row(line, employee, leader, held, focus, programme,
                text("agreed_actions", ACTIONS_LIMIT), due, kind, key)  # fmt: skip
