"""The canonical data model: every entity cxloop stores, its fields, types and key.

Sources are mapped onto these names on ingest (see ``cxloop.ingest``). A source may
lack any column that is not ``required``; ``METRIC_NEEDS`` says which columns each
metric needs, so a metric on data that was never loaded fails with a clear message.

Free-text fields marked ``redact`` have personal data removed on the way in.
Columns named ``rating_<item>`` in a source (or mapped to ``rating.<item>``) become
rows of the entity's ``items_table``: rating items on surveys, engagement items on
pulses.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

#: Storage type of each logical type.
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "text": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}

CHANNELS = ("phone", "chat", "email", "branch", "social")
ROLES = ("agent", "team_leader", "manager", "head")


@dataclass(frozen=True)
class Field:
    """One canonical column."""

    name: str
    type: str
    description: str
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    redact: bool = False
    references: str | None = None  # "entity.column" checked when that entity is loaded

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.type]


@dataclass(frozen=True)
class Entity:
    """One kind of record: its table, natural key and fields."""

    name: str
    key: str
    description: str
    fields: tuple[Field, ...]
    one_of: tuple[str, ...] = ()  # at least one of these must be present and non-null
    items_table: str | None = None
    item_range: tuple[float, float] | None = None

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(f.name, f.arrow_type) for f in self.fields])


def _f(name: str, type: str, description: str, **kw) -> Field:
    return Field(name, type, description, **kw)


CUSTOMERS = Entity(
    "customers",
    key="customer_id",
    description="Customers or accounts, with their value to the business.",
    fields=(
        _f("customer_id", "string", "Natural key of the customer or account.", required=True),
        _f("segment", "string", "Customer segment, e.g. mass, affluent, small business."),
        _f("product", "string", "Main product held, e.g. credit card, loan, savings."),
        _f("region", "string", "Region or market."),
        _f("annual_value", "float", "Annual revenue from the account.", minimum=0),
        _f("customer_since", "date", "Date the relationship began (tenure is derived)."),
        _f("churned_at", "date", "Date the customer left; empty while active."),
        _f(
            "acquired_via",
            "string",
            "How the customer came: referral, recommendation, advertising, branch, web...",
        ),
    ),
)

EMPLOYEES = Entity(
    "employees",
    key="employee_id",
    description="The organisation: everyone who serves customers or leads those who do.",
    fields=(
        _f("employee_id", "string", "Natural key of the employee.", required=True),
        _f("name", "string", "Display name."),
        _f("role", "string", "agent, team_leader, manager or head.", required=True, choices=ROLES),
        _f("team_id", "string", "Team the employee belongs to (leaders: the team they lead)."),
        _f(
            "manager_id", "string", "The employee's own leader.", references="employees.employee_id"
        ),
        _f("site", "string", "Site or department."),
        _f("started_on", "date", "Start date in the role."),
        _f("left_on", "date", "Leaving date; empty while employed."),
    ),
)

INTERACTIONS = Entity(
    "interactions",
    key="interaction_id",
    description="Contacts between a customer and the organisation, on any channel.",
    fields=(
        _f("interaction_id", "string", "Natural key of the contact.", required=True),
        _f("started_at", "timestamp", "When the contact was offered.", required=True),
        _f("channel", "string", "phone, chat, email, branch or social.", choices=CHANNELS),
        _f("queue", "string", "Queue or skill the contact was routed to."),
        _f("reason", "string", "Contact reason as recorded by the agent or the IVR."),
        _f("customer_id", "string", "The customer.", references="customers.customer_id"),
        _f("agent_id", "string", "The agent who handled it.", references="employees.employee_id"),
        _f("team_id", "string", "The agent's team at the time."),
        _f("offered", "bool", "Entered a queue (the denominator of GOS and abandonment)."),
        _f("answered", "bool", "Answered by an agent."),
        _f("abandoned", "bool", "Customer gave up before an answer."),
        _f("wait_seconds", "float", "Time in queue before answer or abandon.", minimum=0),
        _f("talk_seconds", "float", "Talk time.", minimum=0),
        _f("hold_seconds", "float", "Hold time.", minimum=0),
        _f("wrap_seconds", "float", "After-contact work.", minimum=0),
        _f("transfers", "int", "Times the contact was transferred.", minimum=0),
        _f("resolved", "bool", "Agent marked the customer's issue resolved."),
    ),
)

RESPONSES = Entity(
    "responses",
    key="response_id",
    description="Survey responses: scores and the customer's own words.",
    fields=(
        _f("response_id", "string", "Natural key of the response.", required=True),
        _f("responded_at", "timestamp", "When the customer answered.", required=True),
        _f("instrument", "string", "Survey name, e.g. post-call, relationship, complaint."),
        _f("customer_id", "string", "The customer.", references="customers.customer_id"),
        _f(
            "interaction_id",
            "string",
            "The contact the survey was about.",
            references="interactions.interaction_id",
        ),
        _f("agent_id", "string", "The agent concerned.", references="employees.employee_id"),
        _f("team_id", "string", "The agent's team."),
        _f("channel", "string", "Channel of the contact.", choices=CHANNELS),
        _f("nps", "int", "Likelihood to recommend, 0-10.", minimum=0, maximum=10),
        _f("csat", "int", "Satisfaction, 1-5.", minimum=1, maximum=5),
        _f("ces", "int", "Ease of dealing with us, 1-7 (higher is easier).", minimum=1, maximum=7),
        _f("comment", "text", "The customer's comment.", redact=True),
    ),
    one_of=("nps", "csat", "ces"),
    items_table="response_ratings",
    item_range=(0, 10),
)

PULSES = Entity(
    "pulses",
    key="pulse_response_id",
    description="Anonymous employee pulse answers (eNPS and engagement items).",
    fields=(
        _f("pulse_response_id", "string", "Natural key of the pulse answer.", required=True),
        _f("respondent", "string", "Anonymous respondent token (never an employee id)."),
        _f("team_id", "string", "Team of the respondent.", required=True),
        _f("period", "date", "First day of the pulse period.", required=True),
        _f("enps", "int", "Likelihood to recommend working here, 0-10.", minimum=0, maximum=10),
        _f("comment", "text", "Free-text answer.", redact=True),
    ),
    one_of=("enps",),
    items_table="pulse_ratings",
    item_range=(1, 5),
)

CHECKINS = Entity(
    "checkins",
    key="checkin_id",
    description="1:1 check-ins between an employee and their leader (restricted).",
    fields=(
        _f("checkin_id", "string", "Natural key of the check-in.", required=True),
        _f(
            "employee_id",
            "string",
            "The employee.",
            required=True,
            references="employees.employee_id",
        ),
        _f("leader_id", "string", "The leader.", references="employees.employee_id"),
        _f("held_on", "date", "Date of the check-in.", required=True),
        _f("notes", "text", "Notes agreed by both.", redact=True),
    ),
)

ENTITIES: dict[str, Entity] = {
    e.name: e for e in (CUSTOMERS, EMPLOYEES, INTERACTIONS, RESPONSES, PULSES, CHECKINS)
}

#: Columns every metric needs, as (entity, columns). Shown when a metric has no data.
METRIC_NEEDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "nps": ("responses", ("responded_at", "nps")),
    "csat": ("responses", ("responded_at", "csat")),
    "ces": ("responses", ("responded_at", "ces")),
    "enps": ("pulses", ("period", "team_id", "enps")),
    "grade_of_service": ("interactions", ("started_at", "offered", "answered", "wait_seconds")),
    "asa": ("interactions", ("started_at", "answered", "wait_seconds")),
    "abandonment": ("interactions", ("started_at", "offered", "abandoned")),
    "aht": ("interactions", ("started_at", "answered", "talk_seconds")),
    "transfer_rate": ("interactions", ("started_at", "answered", "transfers")),
    "fcr": ("interactions", ("started_at", "customer_id", "resolved")),
}


@dataclass(frozen=True)
class ItemsTable:
    """Long table of rating items: one row per (record, item)."""

    name: str
    parent: Entity

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [(self.parent.key, pa.string()), ("item", pa.string()), ("value", pa.float64())]
        )


ITEMS_TABLES: dict[str, ItemsTable] = {
    e.items_table: ItemsTable(e.items_table, e) for e in ENTITIES.values() if e.items_table
}


def entity(name: str) -> Entity:
    """The entity called ``name`` (plural, as in the CLI: responses, interactions...)."""
    try:
        return ENTITIES[name]
    except KeyError:
        known = ", ".join(ENTITIES)
        raise KeyError(f"unknown entity {name!r}; known: {known}") from None


def as_markdown() -> str:
    """The data model as Markdown (docs/data-model.md is this text; a test keeps them equal)."""
    lines = [
        "# Data model",
        "",
        "Generated from `cxloop/model.py` by `python -m cxloop.model > docs/data-model.md`.",
        "Every column but the required ones may be missing from a source. Columns named",
        "`rating_<item>` become rows of the entity's items table.",
        "",
    ]
    for ent in ENTITIES.values():
        lines += [f"## {ent.name}", "", ent.description, "", f"Natural key: `{ent.key}`."]
        if ent.one_of:
            lines.append(f"At least one of {', '.join(f'`{c}`' for c in ent.one_of)} per row.")
        if ent.items_table:
            lo, hi = ent.item_range or (None, None)
            lines.append(
                f"Rating items (`rating_<item>`, {lo:g}-{hi:g}) go to `{ent.items_table}`."
            )
        lines += ["", "| column | type | required | rule | meaning |", "|---|---|---|---|---|"]
        for f in ent.fields:
            rule = []
            if f.minimum is not None or f.maximum is not None:
                lo = "" if f.minimum is None else f"{f.minimum:g}"
                hi = "" if f.maximum is None else f"{f.maximum:g}"
                rule.append(f"{lo}–{hi}" if hi else f">= {lo}")
            if f.choices:
                rule.append(" / ".join(f.choices))
            if f.redact:
                rule.append("personal data redacted")
            if f.references:
                rule.append(f"→ {f.references}")
            req = "yes" if f.required else ""
            lines.append(f"| `{f.name}` | {f.type} | {req} | {'; '.join(rule)} | {f.description} |")
        lines.append("")
    lines += ["## What each metric needs", "", "| metric | entity | columns |", "|---|---|---|"]
    for metric, (ent_name, cols) in METRIC_NEEDS.items():
        lines.append(f"| {metric} | {ent_name} | {', '.join(f'`{c}`' for c in cols)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(as_markdown(), end="")
