"""Settings as text: the commented cxloop.toml that ``cxloop init`` writes, and the rows
``cxloop settings`` prints. The settings themselves are declared in :mod:`cxloop.settings`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .settings import Settings


def describe() -> list[dict[str, Any]]:
    """Every setting as ``{"key", "default", "type", "help"}``, for ``cxloop settings``."""
    rows = []
    for section, info in Settings.model_fields.items():
        model = info.default_factory()  # type: ignore[misc]
        for name, field in type(model).model_fields.items():
            rows.append(
                {
                    "key": f"{section}.{name}",
                    "default": plain_setting(getattr(model, name)),
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
        tables = []  # lists of tables ([[section.key]]) come after the plain keys
        for name, field in type(model).model_fields.items():
            value = getattr(model, name)
            if isinstance(value, list) and value and isinstance(value[0], BaseModel):
                tables.append((name, field, value))
                continue
            lines.append(f"# {field.description}")
            lines.append(f"{name} = {_toml_value(value)}")
        lines.append("")
        for name, field, items in tables:
            lines.append(f"# {field.description}")
            for item in items:
                lines.append(f"[[{section}.{name}]]")
                for key, v in item.model_dump().items():
                    if v is not None:
                        lines.append(f"{key} = {_toml_value(v)}")
                lines.append("")
    return "\n".join(lines)


def plain_setting(value: Any) -> Any:
    """A setting's value as plain data (tables as dicts), for JSON and tables."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return [plain_setting(v) for v in value]
    return value


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ "
            + ", ".join(f"{_toml_value(k)} = {_toml_value(v)}" for k, v in value.items())
            + " }"
        )
    text = str(value)
    if "\\" in text and "'" not in text:
        return f"'{text}'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
