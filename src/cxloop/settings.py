"""Workspace settings: every setting declared once, typed, with a default and help.

Values come from the workspace's ``cxloop.toml``; a missing key takes its default.
``cxloop settings`` prints them all, and ``docs/settings.md`` documents each one
(a test keeps the two in step).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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
        -0.36,
        ge=-1,
        le=1,
        description="A sentiment score below this is negative (calibrated with the model).",
    )
    sentiment_positive_above: float = Field(
        0.34,
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


class Settings(_Section):
    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    stores: StoreSettings = Field(default_factory=StoreSettings)
    metrics: MetricSettings = Field(default_factory=MetricSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    text: TextSettings = Field(default_factory=TextSettings)
    insights: InsightSettings = Field(default_factory=InsightSettings)

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


def describe() -> list[dict[str, Any]]:
    """Every setting as ``{"key", "default", "type", "help"}``, for ``cxloop settings``."""
    rows = []
    for section, info in Settings.model_fields.items():
        model = info.default_factory()  # type: ignore[misc]
        for name, field in type(model).model_fields.items():
            rows.append(
                {
                    "key": f"{section}.{name}",
                    "default": getattr(model, name),
                    "type": getattr(field.annotation, "__name__", str(field.annotation)),
                    "help": field.description or "",
                }
            )
    return rows


def to_toml(settings: Settings) -> str:
    """Render settings as a commented cxloop.toml."""
    lines = ["# cxloop workspace settings. Every key is optional; see `cxloop settings`.", ""]
    for section in Settings.model_fields:
        model = getattr(settings, section)
        lines.append(f"[{section}]")
        for name, field in type(model).model_fields.items():
            lines.append(f"# {field.description}")
            lines.append(f"{name} = {_toml_value(getattr(model, name))}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value)
    if "\\" in text and "'" not in text:
        return f"'{text}'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
