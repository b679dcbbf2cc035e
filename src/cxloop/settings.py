"""Workspace settings: every setting declared once, typed, with a default and help.

Values come from the workspace's ``cxloop.toml``; a missing key takes its default.
``cxloop settings`` prints them all (rendered by :mod:`cxloop.settings_file`), and
``docs/settings.md`` documents each one (a test keeps the two in step).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import SettingsError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkspaceSettings(_Section):
    name: str = Field("cxloop workspace", description="A name shown in reports and pages.")
    timezone: str = Field(
        "UTC",
        description="IANA time zone; timestamps are stored and periods cut in this zone.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/London)"
            ) from None
        return value


class StoreSettings(_Section):
    analytics_url: str = Field(
        "",
        description="Ibis connection URL of the analytics store; empty means "
        "analytics.duckdb in the workspace folder.",
    )
    app_url: str = Field(
        "",
        description="SQLAlchemy URL of the app store; empty means app.sqlite in the "
        "workspace folder.",
    )


class MetricSettings(_Section):
    gos_target_seconds: float = Field(
        20.0, gt=0, description="Grade of service: answered within this many seconds counts."
    )
    gos_target_share: float = Field(
        0.8, gt=0, le=1, description="The grade-of-service level the centre aims for."
    )
    min_group_responses: int = Field(
        30,
        ge=1,
        description="Groups with fewer responses are flagged small_sample and never ranked.",
    )
    fcr_repeat_days: int = Field(
        7,
        ge=1,
        description="FCR: a contact counts as resolved first time if resolved "
        "and the customer does not contact again within this many days.",
    )
    queued_channels: list[str] = Field(
        default_factory=lambda: ["phone", "chat"],
        description="Channels whose contacts queue: GOS, ASA and abandonment use only these.",
    )


class PrivacySettings(_Section):
    min_pulse_group: int = Field(
        5, ge=2, description="Employee pulse results are shown only for groups this large."
    )
    account_patterns: list[str] = Field(
        default_factory=lambda: [r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b"],
        description="Regular expressions for account numbers redacted from free text as "
        "[ACCOUNT] (default: IBAN).",
    )


class TextSettings(_Section):
    taxonomy: str = Field(
        "",
        description="Taxonomy TOML file (relative to the workspace); empty means the "
        "shipped default for contact centres and financial services.",
    )
    model: str = Field(
        "all-MiniLM-L6-v2",
        description="Sentence-embedding model: all-MiniLM-L6-v2 or a folder holding a "
        "sentence-transformers model.",
    )
    runtime: str = Field(
        "onnx-int8",
        description="How the model runs: onnx-int8 (fastest), onnx (fp32) or torch.",
    )
    theme_threshold: float = Field(
        0.5,
        ge=-1,
        le=1,
        description="Cosine similarity a clause needs to a theme to be tagged with it "
        "(calibrated: docs/themes.md).",
    )
    theme_margin: float = Field(
        0.0,
        ge=0,
        le=2,
        description="A clause also gets its second-best theme if within this margin of the "
        "best (0 = one theme per clause by meaning; calibrated: docs/themes.md).",
    )
    adapt_rounds: int = Field(
        2,
        ge=0,
        le=10,
        description="Rounds of adapting theme prototypes to the corpus being tagged (0 = off).",
    )
    sentiment_negative_below: float = Field(
        -0.32,
        ge=-1,
        le=1,
        description="A sentiment score below this is negative (calibrated with the model).",
    )
    sentiment_positive_above: float = Field(
        0.32,
        ge=-1,
        le=1,
        description="A sentiment score above this is positive; between the two, neutral.",
    )


class InsightSettings(_Section):
    false_discovery_rate: float = Field(
        0.05,
        gt=0,
        lt=1,
        description="Benjamini-Hochberg level: of the changes and gaps called significant, "
        "at most this share are expected to be noise.",
    )
    control_sigma: float = Field(
        3.0,
        gt=0,
        description="Control charts: limits sit this many standard errors from the centre.",
    )
    run_length: int = Field(
        8, ge=3, description="Control charts: this many points in a row on one side is a signal."
    )
    baseline_periods: int = Field(
        8,
        ge=2,
        description="What is usual: the periods before the ones being judged, for changes "
        "and trailing control-chart centres.",
    )
    min_person_responses: int = Field(
        30,
        ge=1,
        description='Agents with fewer responses get "not enough data", never a rank.',
    )
    support_level: float = Field(
        0.9,
        gt=0.5,
        lt=1,
        description="Fair scores: a person is ranked or flagged only where their interval at "
        "this level separates from their group.",
    )
    agent_themes: list[str] = Field(
        default_factory=lambda: [
            "did not listen",
            "rude or dismissive",
            "wrong information",
            "scripted or robotic",
            "pushy selling",
            "no call back",
        ],
        description="Support flags: the themes that reflect on the agent who served the "
        "customer (checked for every agent at once).",
    )


class CaseRule(_Section):
    """One rule that opens a case (``[[cases.rules]]``): every condition given must hold."""

    name: str = Field(..., min_length=1, max_length=64, description="The rule's name.")
    nps_min: int | None = Field(None, ge=0, le=10, description="Lowest NPS answer matched.")
    nps_max: int | None = Field(None, ge=0, le=10, description="Highest NPS answer matched.")
    themes: list[str] = Field(
        default_factory=list, description="Comment themes; any one of them matches."
    )
    negative_only: bool = Field(
        False, description="Themes count only where the comment raised them negatively."
    )
    channels: list[str] = Field(
        default_factory=list, description="Response channels matched (empty: any)."
    )
    priority: str = Field("normal", description="Priority of the case (a key of sla_hours).")

    @model_validator(mode="after")
    def _has_a_condition(self) -> CaseRule:
        if self.nps_min is None and self.nps_max is None and not self.themes and not self.channels:
            raise ValueError(
                f"rule {self.name!r} has no condition (nps_min/nps_max/themes/channels)"
            )
        if self.nps_min is not None and self.nps_max is not None and self.nps_min > self.nps_max:
            raise ValueError(f"rule {self.name!r}: nps_min is above nps_max")
        return self


def _default_case_rules() -> list[CaseRule]:
    return [
        CaseRule(name="detractor", nps_min=0, nps_max=6, priority="normal"),
        CaseRule(
            name="unfair treatment or hardship",
            themes=["unfair treatment", "financial difficulty", "complaint handling"],
            negative_only=True,
            priority="high",
        ),
    ]


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class CaseSettings(_Section):
    queue_owner: str = Field(
        "cx-queue",
        min_length=1,
        description="Owner of a case whose agent has no team leader or manager on record.",
    )
    working_days: list[str] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"],
        description="Days the SLA clock runs (mon..sun), in workspace.timezone.",
    )
    day_starts: str = Field("09:00", description="Start of the working day (HH:MM).")
    day_ends: str = Field("17:00", description="End of the working day (HH:MM).")
    holidays: list[str] = Field(
        default_factory=list, description="Dates (YYYY-MM-DD) the SLA clock does not run."
    )
    sla_hours: dict[str, float] = Field(
        default_factory=lambda: {"high": 4.0, "normal": 16.0, "low": 40.0},
        description="Business hours to first contact, per priority, most urgent first "
        "(16 = two 8-hour days).",
    )
    reminder_hours: float = Field(
        2.0, ge=0, description="Remind the owner this many business hours before a case is due."
    )
    refund_limits: dict[str, float] = Field(
        default_factory=lambda: {
            "agent": 50.0,
            "team_leader": 500.0,
            "manager": 5000.0,
            "head": 50000.0,
        },
        description="Decision rights: the largest refund each role may approve alone; "
        "roles not listed may approve none.",
    )
    smtp_host: str = Field("", description="SMTP server for case e-mails; empty: no e-mail.")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP port.")
    smtp_from: str = Field("cxloop@localhost", description="Sender address of case e-mails.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_user: str = Field(
        "", description="SMTP user name (the password comes from $CXLOOP_SMTP_PASSWORD)."
    )
    notify_email: str = Field(
        "", description="Address for notifications whose owner has no e-mail on record."
    )
    webhook_url: str = Field(
        "", description="URL that receives each notification as a JSON POST; empty: none."
    )
    rules: list[CaseRule] = Field(
        default_factory=_default_case_rules,
        description="Which responses open a case ([[cases.rules]]); the most urgent match wins.",
    )

    @field_validator("working_days")
    @classmethod
    def _known_days(cls, value: list[str]) -> list[str]:
        days = [d.strip().lower()[:3] for d in value]
        bad = [d for d in days if d not in _WEEKDAYS]
        if bad or not days:
            raise ValueError(f"working days must be some of {', '.join(_WEEKDAYS)}")
        return days

    @field_validator("day_starts", "day_ends")
    @classmethod
    def _clock(cls, value: str) -> str:
        try:
            hour, minute = (int(x) for x in value.split(":"))
            assert 0 <= hour <= 24 and 0 <= minute < 60 and hour * 60 + minute <= 1440
        except (ValueError, AssertionError):
            raise ValueError(f"{value!r} is not a time of day (HH:MM)") from None
        return f"{hour:02d}:{minute:02d}"

    @field_validator("holidays")
    @classmethod
    def _dates(cls, value: list[str]) -> list[str]:
        import datetime as _dt

        for d in value:
            try:
                _dt.date.fromisoformat(d)
            except ValueError:
                raise ValueError(f"holiday {d!r} is not a date (YYYY-MM-DD)") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CaseSettings:
        if self.day_ends <= self.day_starts:
            raise ValueError("day_ends must be after day_starts")
        if not self.sla_hours or any(h <= 0 for h in self.sla_hours.values()):
            raise ValueError("sla_hours needs at least one priority, each with hours > 0")
        names = [r.name for r in self.rules]
        if len(set(names)) != len(names):
            raise ValueError("rule names must be unique")
        for rule in self.rules:
            if rule.priority not in self.sla_hours:
                raise ValueError(
                    f"rule {rule.name!r}: priority {rule.priority!r} is not in sla_hours "
                    f"({', '.join(self.sla_hours)})"
                )
        return self


class CoachingSettings(_Section):
    follow_up_days: int = Field(
        28, ge=1, description="Days from a session to its follow-up when none is given."
    )
    reminder_days: int = Field(
        2, ge=0, description="A follow-up's reminder goes this many days before it is due."
    )
    before_days: int = Field(
        180, ge=7, description="Did it work: days before a session that form its before window."
    )
    after_days: int = Field(
        180, ge=7, description="Did it work: days after a session that form its after window."
    )
    settle_days: int = Field(
        0, ge=0, description="Did it work: days after a session left out before the after window."
    )
    min_comments: int = Field(
        15, ge=1, description="Did it work: fewest answers an agent needs in each window."
    )
    workshop_min_agents: int = Field(
        3, ge=2, description="A focus shared by this many of a team's agents suggests a workshop."
    )
    agent_kpis: list[str] = Field(
        default_factory=lambda: ["transfers", "fcr", "aht"],
        description="Contact KPIs an agent influences, checked as focus areas where "
        "customers reward them (KPI alignment).",
    )


class Settings(_Section):
    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    stores: StoreSettings = Field(default_factory=StoreSettings)
    metrics: MetricSettings = Field(default_factory=MetricSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    text: TextSettings = Field(default_factory=TextSettings)
    insights: InsightSettings = Field(default_factory=InsightSettings)
    cases: CaseSettings = Field(default_factory=CaseSettings)
    coaching: CoachingSettings = Field(default_factory=CoachingSettings)

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read and validate a cxloop.toml file."""
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as e:
            raise SettingsError(f"{path}: cannot read: {e}") from None
        except tomllib.TOMLDecodeError as e:
            raise SettingsError(f"{path}: not valid TOML: {e}") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "settings") -> Settings:
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise SettingsError(f"{source}: {where}: {first['msg']}") from None
