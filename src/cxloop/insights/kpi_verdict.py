"""The plain-words verdict of a KPI alignment: what customers notice across the KPI's
range, where the outcome turns, and whether the service-level target protects it."""

from __future__ import annotations

from typing import Any

from .threshold import Bin, Measure, Threshold, difference_margin


def amount(x: float, unit: str) -> str:
    """A KPI value in words: ``20 seconds``, ``4 minutes``, ``1.5 hours``, ``2 transfers``."""
    if unit == "seconds":
        if x < 90:
            return _plural(round(x), "second")
        if x < 5400:
            return _plural(_half(x / 60), "minute")
        return _plural(_half(x / 3600), "hour")
    if unit == "minutes":
        return _plural(round(x), "minute") if x < 90 else _plural(_half(x / 60), "hour")
    if unit == "count":
        return f"{x:g}"
    return f"{x:,.4g}"


def adjective(x: float, unit: str) -> str:
    """``a 20-second answer``: the amount as an adjective."""
    words = amount(x, unit)
    number, _, noun = words.partition(" ")
    if not noun:
        return words
    return f"{number}-{noun.rstrip('s') if noun != 'seconds' else 'second'}"


def short(x: float, unit: str) -> str:
    """A compact amount for a band label: ``10 s``, ``4 min``, ``1.5 h``, ``12``."""
    if unit == "seconds":
        if x < 120:
            return f"{round(x, 1 if x < 10 else 0):g} s"
        return f"{round(x / 60, 1):g} min" if x < 5400 else f"{round(x / 3600, 1):g} h"
    if unit == "minutes":
        return f"{x:g} min" if x < 90 else f"{round(x / 60, 1):g} h"
    return f"{x:,.4g}"


def band(b: Bin, unit: str, first: bool) -> str:
    """A band's label: ``0``, ``2–3`` (counts), ``no``/``yes``, ``10–20 s``, ``0–10 s``."""
    if unit == "binary":
        return "yes" if b.low >= 1 or (not first and b.high >= 1) else "no"
    if unit == "count" and b.high == round(b.high):
        lo = b.low if first else b.low + 1
        return f"{lo:g}" if lo >= b.high else f"{lo:g}–{b.high:g}"
    if first and b.low == b.high:
        return short(b.low, unit)
    return (
        f"{short(b.low, unit).split(' ')[0]}–{short(b.high, unit)}"
        if short(b.low, unit).split(" ")[1:] == short(b.high, unit).split(" ")[1:]
        else f"{short(b.low, unit)}–{short(b.high, unit)}"
    )  # noqa: E501


def _half(x: float) -> float:
    return round(x * 2) / 2


def _plural(x: float, noun: str) -> str:
    return f"{x:g} {noun}" if x == 1 else f"{x:g} {noun}s"


def _change(t: Threshold, m: Measure) -> str:
    word = "falls" if t.change < 0 else "rises"
    lo, hi = sorted((abs(t.change_low), abs(t.change_high)))
    if t.change_low < 0 < t.change_high:
        lo = 0.0
    digits = 2 if m.kind == "mean" else 0 if abs(t.change) >= 10 else 1
    size = f"{abs(t.change):.{digits}f} {m.points}".strip()
    return f"{word} by {size} (95% interval {lo:.{digits}f} to {hi:.{digits}f})"


def flat_part(curve: list[Bin], cut: float, m: Measure, unit: str, noun: str | None,
              label: str) -> str | None:  # fmt: skip
    """'Customers do not distinguish a 10-second wait from a 3-minute one' when the bands
    at or below the cut do not differ significantly (first vs last); else how it eases."""
    below = [b for b in curve if b.high <= cut + 1e-9 and b.value is not None]
    if len(below) < 2:
        return None
    first, last = below[0], below[-1]
    diff = last.value - first.value  # type: ignore[operator]
    margin = difference_margin(first.margin, last.margin)
    values = f"{m.inner} {m.fmt(first.value)} vs {m.fmt(last.value)}"
    if margin is not None and abs(diff) <= margin:
        if noun:
            a, b = adjective(first.high, unit), adjective(last.high, unit)
            what = f"a {a} {noun} from a {b} one"
        else:
            what = f"{label} of {amount(first.high, unit)} from {amount(last.high, unit)}"
        return f"Customers do not distinguish {what} ({values})"
    word = "eases" if diff < 0 else "climbs"
    a, b = band(first, unit, True), band(last, unit, False)
    return f"{m.label} {word} from {m.fmt(first.value)} ({a}) to {m.fmt(last.value)} ({b})"


def target_part(target: dict[str, Any], t: Threshold | None, unit: str, what: str = "NPS") -> str:
    """Whether the service-level target is met and whether it protects the outcome."""
    secs = amount(target["target_seconds"], unit)
    obs, aim = target["observed_share"], target["target_share"]
    if obs is None:
        return ""
    met = "met" if obs >= aim else "missed"
    goal = adjective(target["target_seconds"], unit)
    text = f"Your {goal} GOS target ({aim:.0f}%) is {met}: {obs:.0f}% of contacts are answered"
    text += f" within {secs}"
    if t is None or t.shape != "threshold" or t.change >= 0:
        return text + "."
    cut = amount(t.cut, unit)
    if t.cut > target["target_seconds"]:
        within = target.get("share_within_cut")
        extra = f"; {within:.0f}% are answered within {cut}" if within is not None else ""
        return text + f", but it does not protect {what}: the fall comes beyond {cut}{extra}."
    return text + f", and it sits before the point where {what} falls, so it protects it."


def _kpi_part(label: str, unit: str, m: Measure, curve: list[Bin], t: Threshold | None,
              noun: str | None) -> str:  # fmt: skip
    """What the outcome does across the KPI's range."""
    if t is None:
        return f"Too few answers on each side of any {label} value to compare."
    if unit == "binary" or t.shape == "difference":
        if t.shape == "none":
            return (f"{m.label} does not differ significantly with {label} "
                    f"({m.fmt(t.above)} with, {m.fmt(t.below)} without).")  # fmt: skip
        return f"{m.label} is {m.fmt(t.above)} with {label} and {m.fmt(t.below)} without: it {_change(t, m)}."
    if t.shape == "none":
        lo, hi = amount(curve[0].low, unit), amount(curve[-1].high, unit)
        return f"{m.label} does not change significantly with {label} between {lo} and {hi}."
    if t.shape == "steady":
        first, last = curve[0], curve[-1]
        word = "falls" if (last.value or 0) < (first.value or 0) else "rises"
        a, b = band(first, unit, True), band(last, unit, len(curve) == 1)
        return (f"{m.label} {word} steadily with {label}, from {m.fmt(first.value)} ({a}) to "
                f"{m.fmt(last.value)} ({b}); no single threshold.")  # fmt: skip
    flat = flat_part(curve, t.cut, m, unit, noun, label)
    main = (f"{m.label} {_change(t, m)} beyond {amount(t.cut, unit)} of {label} "
            f"({m.fmt(t.below)} at or below, {m.fmt(t.above)} above).")  # fmt: skip
    return f"{flat}. {main}" if flat else main


def sentence(
    label: str,
    unit: str,
    m: Measure,
    curve: list[Bin],
    t: Threshold | None,
    target: dict[str, Any] | None = None,
    noun: str | None = None,
) -> str:
    """The verdict for one KPI: its curve and threshold, then the service-level target."""
    lab = label if label[:2].isupper() else label[0].lower() + label[1:]
    parts = [_kpi_part(lab, unit, m, curve, t, noun)]
    if target:
        parts.append(target_part(target, t, unit, m.inner))
    return " ".join(p for p in parts if p)
