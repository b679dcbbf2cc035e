"""What a coaching focus area can be, in one vocabulary for plans, sessions and effects.

A focus area is named by a string and is one of three kinds:

* ``theme``: a theme (or parent theme) of the workspace's taxonomy, such as "did not
  listen"; measured as the share of the agent's tagged comments that carry it;
* ``metric``: a survey outcome of the agent's customers: ``nps`` or ``csat``
  (PRODUCT.md definitions);
* ``kpi``: a contact KPI the agent influences, by its key in
  :data:`cxloop.insights.kpi_alignment.KPIS` (``transfers``, ``fcr``, ``aht``...).

Names are matched without regard to case or surrounding spaces; the canonical name
is stored. An unknown name raises ``RecordInvalid`` listing what would be accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import RecordInvalid
from ..insights.kpi_alignment import KPIS
from ..text.workspace_tags import workspace_taxonomy

METRICS = {"nps": "NPS", "csat": "CSAT"}
KINDS = ("theme", "metric", "kpi")


@dataclass(frozen=True)
class Focus:
    """One focus area: its kind, canonical name, a label for people and which way is good.

    ``better`` is ``"lower"`` for negative themes, transfers, handle time and hold time,
    ``"higher"`` for positive themes, NPS, CSAT, FCR and resolved.
    """

    kind: str
    name: str
    label: str
    better: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "label": self.label,
                "better": self.better}  # fmt: skip


_LOWER_KPIS = frozenset({"aht", "hold", "talk", "wrap", "transfers", "wait"})


def parse_focus(ws, name: str, taxonomy=None) -> Focus:
    """The focus area called ``name`` in this workspace (``taxonomy`` defaults to its own)."""
    raw = (name or "").strip()
    if not raw:
        raise RecordInvalid("a focus area needs a name: a theme, nps, csat or a KPI")
    key = raw.lower()
    if key in METRICS:
        return Focus("metric", key, METRICS[key], "higher")
    if key in KPIS:
        return Focus("kpi", key, KPIS[key].label, "lower" if key in _LOWER_KPIS else "higher")
    taxonomy = taxonomy or workspace_taxonomy(ws)
    by_lower = {t.name.lower(): t for t in taxonomy.themes}
    theme = by_lower.get(key)
    if theme is None:
        raise RecordInvalid(
            f"unknown focus area {raw!r}: use a theme of the taxonomy (cxloop themes), "
            f"{', '.join(METRICS)} or a KPI ({', '.join(KPIS)})"
        )
    better = "higher" if theme.polarity == "positive" else "lower"
    return Focus("theme", theme.name, theme.name, better)


def parse_focus_areas(ws, names: list[str] | str) -> list[Focus]:
    """Several focus areas (a list, or one comma-separated string), duplicates dropped."""
    items = names.split(",") if isinstance(names, str) else list(names)
    taxonomy = None
    out: dict[str, Focus] = {}
    for item in (i for i in items if i and i.strip()):
        if taxonomy is None and item.strip().lower() not in METRICS | KPIS.keys():
            taxonomy = workspace_taxonomy(ws)
        focus = parse_focus(ws, item, taxonomy)
        out.setdefault(focus.name, focus)
    if not out:
        raise RecordInvalid("give at least one focus area")
    return list(out.values())
