"""Employee names in customer comments: who a customer praised, for recognition.

Names come from the ``employees`` table: each employee's first name and full name
("Sarah" and "Sarah Jones"; "Jones, Sarah" and titles such as "Mrs" are understood).
One Aho-Corasick pass finds them, case-sensitive and on word boundaries, so "grace"
in "a day's grace" is not Grace. Rules:

* A full name beats a first name at the same place ("Sarah Jones", not "Sarah").
* A name several employees share goes to the response's own agent if the agent is
  one of them; otherwise it is linked to nobody and reported as ambiguous.
* A first name that is also a common word (Will, Mark, Grace, May, Bill...) counts
  only next to words that show a person: "thanks to Grace", "Mark was brilliant";
  not "Will you call me back" or "in May".
* Text written without capitals (or in capitals, or Title Case Throughout) carries no
  case signal: there only the response's own agent is looked for, ignoring case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ahocorasick

_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "prof"})

#: First names that are also everyday English words (lower case).
COMMON_WORD_NAMES = frozenset(
    """
    will mark grace dawn hope joy faith may june april august rose iris ivy holly amber
    crystal summer sunny frank bill pat sue rich art penny sandy rob chase hunter max miles
    jack precious blessing patience charity honey ray guy don bob rusty drew wade lane page
    read jean carol jade ruby poppy angel star sky destiny harmony major young earl kit kay
    dale glen cliff brook river forest storm rain heather violet daisy lily sage bud gay
    harley jewel lucky merry mercy justice king prince duke royal rocky sterling willow
    autumn winter dusty misty candy cherry ginger hazel olive basil
    """.split()
)

_BEFORE = frozenset(
    {"thanks", "thank", "thx", "cheers", "agent", "advisor", "adviser", "colleague",
     "lady", "gentleman", "named", "called", "mention", "mentions", "praise", "kudos",
     "shoutout", "shout-out", "manager", "leader", "rep", "representative", "assistant"}
)  # fmt: skip
_BEFORE_PAIRS = frozenset(
    {("thanks", "to"), ("spoke", "to"), ("speak", "to"), ("talked", "to"), ("talk", "to"),
     ("chatted", "to"), ("chatted", "with"), ("dealt", "with"), ("mention", "for"),
     ("thank", "you"), ("shout", "out"), ("helped", "by"), ("served", "by")}
)  # fmt: skip
_AFTER = frozenset(
    {"was", "is", "has", "had", "went", "did", "helped", "sorted", "explained", "knew",
     "deserves", "made", "put", "rang", "phoned", "answered", "listened", "understood",
     "dealt", "fixed", "resolved", "solved", "arranged", "stayed", "took", "kept",
     "couldn't", "could", "really", "even", "truly", "always", "who", "from", "at",
     "in", "on", "said", "told", "gave", "offered", "spent", "handled", "managed"}
)  # fmt: skip
_WORD = re.compile(r"[\w'’-]+")


@dataclass(frozen=True)
class NamedEmployee:
    """An employee a comment names."""

    employee_id: str
    name: str


@dataclass(frozen=True)
class NameLink:
    """One name found in a comment and who it was linked to.

    ``employee`` is None when the name is ambiguous; ``note`` says why either way.
    """

    mention: str
    start: int
    end: int
    employee: NamedEmployee | None
    note: str


def name_parts(name: str) -> tuple[str, str] | None:
    """``(first name, full name)`` of a display name, or None if it holds no usable name.

    "Jones, Sarah" -> ("Sarah", "Sarah Jones"); "Mrs SARAH JONES" -> ("Sarah", "Sarah Jones").
    """
    if not name or not name.strip():
        return None
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first} {last}"
    tokens = [t.strip(".") for t in name.split()]
    tokens = [t for t in tokens if t and t.lower() not in _TITLES]
    tokens = [t.capitalize() if (t.isupper() or t.islower()) and len(t) > 1 else t for t in tokens]
    if not tokens or len(tokens[0]) < 2 or not tokens[0][0].isalpha():
        return None
    return tokens[0], " ".join(tokens)


class EmployeeNames:
    """Finds employees' names in comments; built once from ``(employee_id, name)`` pairs."""

    def __init__(self, employees: Iterable[tuple[str, str | None]]) -> None:
        self._who: dict[str, list[NamedEmployee]] = {}
        self._first_of: dict[str, str] = {}
        self._full_of: dict[str, str] = {}
        for employee_id, name in employees:
            parts = name_parts(name or "")
            if parts is None or employee_id is None:
                continue
            first, full = parts
            person = NamedEmployee(str(employee_id), full)
            self._first_of[person.employee_id] = first
            self._full_of[person.employee_id] = full
            for key in dict.fromkeys((first, full)):
                self._who.setdefault(key, []).append(person)
        self._automaton = ahocorasick.Automaton()
        for key in self._who:
            self._automaton.add_word(key, key)
        if self._who:
            self._automaton.make_automaton()

    def __len__(self) -> int:
        return len(self._first_of)

    # -- finding --------------------------------------------------------------------
    def mentions(self, text: str, agent_id: str | None = None) -> list[NameLink]:
        """Every employee name in ``text``, in order, each linked or marked ambiguous."""
        if not text or not self._who:
            return []
        if _caseless(text):
            return self._own_agent(text, agent_id)
        hits = []
        for end, key in self._automaton.iter(text):
            start = end - len(key) + 1
            if _bounded(text, start, end + 1):
                hits.append((start, end + 1, key))
        hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        out: list[NameLink] = []
        taken_until = -1
        for start, end, key in hits:
            if start < taken_until:
                continue
            if (
                " " not in key
                and key.lower() in COMMON_WORD_NAMES
                and not _person_context(text, start, end)
            ):
                continue
            out.append(self._resolve(text[start:end], start, end, self._who[key], agent_id))
            taken_until = end
        return out

    def praised(
        self,
        text: str,
        agent_id: str | None = None,
        *,
        praise: bool = False,
        praise_spans: Sequence[tuple[int, int]] = (),
    ) -> NameLink | None:
        """The name in a praising part of ``text``: the whole text if ``praise``, else the
        spans given (e.g. the evidence of positive themes). The response's own agent comes
        first, then any linked employee, then an ambiguous name (so it can be reported)."""
        found = [
            m
            for m in self.mentions(text, agent_id)
            if praise or any(a <= m.start and m.end <= b for a, b in praise_spans)
        ]
        if not found:
            return None
        own = [m for m in found if m.employee and m.employee.employee_id == agent_id]
        linked = [m for m in found if m.employee]
        return (own or linked or found)[0]

    # -- helpers --------------------------------------------------------------------
    def _resolve(
        self, mention: str, start: int, end: int, people: list[NamedEmployee], agent: str | None
    ) -> NameLink:
        own = [p for p in people if p.employee_id == agent]
        if own:
            return NameLink(mention, start, end, own[0], "the response's own agent")
        if len(people) == 1:
            return NameLink(mention, start, end, people[0], f"the only employee called {mention}")
        return NameLink(
            mention,
            start,
            end,
            None,
            f"ambiguous: {len(people)} employees are called {mention} and none served this "
            "customer",
        )

    def _own_agent(self, text: str, agent_id: str | None) -> list[NameLink]:
        if agent_id is None or agent_id not in self._first_of:
            return []
        first, full = self._first_of[agent_id], self._full_of[agent_id]
        pattern = "|".join(re.escape(k) for k in dict.fromkeys((full, first)))
        person = NamedEmployee(agent_id, full)
        out = []
        for m in re.finditer(rf"(?<![\w@])(?:{pattern})(?![\w@])", text, re.IGNORECASE):
            if m.group(0).lower() == first.lower() and first.lower() in COMMON_WORD_NAMES:
                if not _person_context(text, m.start(), m.end()):
                    continue
            out.append(NameLink(m.group(0), m.start(), m.end(), person, "the response's own agent"))
        return out


def _bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in "_@[") and not (after.isalnum() or after in "_@]")


def _caseless(text: str) -> bool:
    """No case signal: all lower case, all upper case, or Title Case Throughout."""
    if not any(c.isupper() for c in text) or not any(c.islower() for c in text):
        return True
    words = [w for w in _WORD.findall(text) if len(w) > 1 and w[0].isalpha()]
    if len(words) < 4:
        return False
    capitalised = sum(1 for w in words if w[0].isupper())
    return capitalised / len(words) >= 0.75


def _person_context(text: str, start: int, end: int) -> bool:
    """Words around a common-word name show a person ("thanks to Grace", "Mark was")."""
    before = [w.lower() for w in _WORD.findall(text[max(0, start - 40) : start])]
    after = [w.lower() for w in _WORD.findall(text[end : end + 30])]
    if before and before[-1] in _BEFORE:
        return True
    if len(before) >= 2 and (before[-2], before[-1]) in _BEFORE_PAIRS:
        return True
    gap = text[end : end + 2]
    if gap[:1] in ",;:." or gap in ("'s", "’s"):  # "Grace, who...", "Mark's help"
        return gap in ("'s", "’s")
    return bool(after) and after[0] in _AFTER
