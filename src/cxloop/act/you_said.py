"""The printable "you said, we did" list: what customers said, what we did, what changed.

    report = you_said_we_did(ws, audience="customers")
    report.to_markdown(); report.to_html(); report.to_text()

Which actions: those in progress or done, told to this audience (an action's ``audience``
is ``customers``, ``employees`` or ``everyone``), started on or after ``since`` if given;
newest start first.

Per action and theme:

* **you said**: the theme, how many comments mentioned it in the window before the start
  (:mod:`cxloop.act.impact`: same window) and one representative comment, quoted: of the
  comments mentioning the theme in that window (with the theme's own sentiment when the
  taxonomy gives the theme a polarity), the most specific one
  (``text.story_text.text_features``: concrete details, length in the 15-80 word sweet
  spot), newest first on a tie. The text is redacted again with the workspace's rules
  before it is shown (it was redacted on ingest; this is a second guard).
* **we did**: the action's title, description and start day (employees also see the
  owner, status and expected effect).
* **what changed**: the impact sentence.

Markdown, standalone HTML and plain text. Every comment, title and description is
untrusted text: escaped in HTML (``html.escape``), and in Markdown its characters that
would start markup are backslash-escaped, so a comment like ``<script>`` or ``[x](y)``
shows as written and never runs or links.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import ibis

from ..errors import RecordInvalid
from ..ingest.redact import Redactor
from ..text.story_text import text_features
from .actions import ImprovementAction, list_actions
from .impact import WINDOW_DAYS, ThemeImpact, action_impact, span_words
from .outreach_find import day_start

AUDIENCES = ("customers", "employees")
MAX_CANDIDATES = 500


@dataclass
class SaidAndDone:
    """One theme of one action: what customers said, what we did, what changed."""

    action_id: int
    theme: str
    mentions: int  # comments mentioning the theme in the window before the start
    comments: int  # tagged comments in that window
    window: str  # "6 weeks"
    quote: str | None  # a representative comment, redacted
    quote_on: dt.date | None
    title: str
    description: str | None
    started_on: dt.date
    status: str
    owner: str
    expected_effect: str | None
    changed: str  # the impact sentence
    distinguishable: bool

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["started_on"] = self.started_on.isoformat()
        out["quote_on"] = self.quote_on.isoformat() if self.quote_on else None
        return out


@dataclass
class YouSaidWeDid:
    audience: str
    since: dt.date | None
    items: list[SaidAndDone] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"audience": self.audience, "since": self.since.isoformat() if self.since else None,
                "items": [i.to_dict() for i in self.items]}  # fmt: skip

    # -- renderings ---------------------------------------------------------------------------
    def _heading(self) -> str:
        return "You said, we did" + (" (for our teams)" if self.audience == "employees" else "")

    def to_markdown(self) -> str:
        lines = [f"# {self._heading()}", ""]
        if not self.items:
            lines.append("No actions in progress or done yet.")
        for i in self.items:
            lines += [f"## {md(i.title)}", ""]
            said = (f"**You said:** {i.mentions:,} of {i.comments:,} comments in the "
                    f"{i.window} before {i.started_on:%d %B %Y} mentioned {md(i.theme)}.")  # fmt: skip
            lines += [said, ""]
            if i.quote:
                lines += [f"> {md(i.quote)}", ""]
            did = f"**We did:** {md(i.title)} (since {i.started_on:%d %B %Y})"
            if i.description:
                did += f": {md(i.description)}"
            lines += [did, ""]
            if self.audience == "employees":
                lines += [f"Owner: {md(i.owner)}; status: {md(i.status.replace('_', ' '))}"
                          + (f"; expected: {md(i.expected_effect)}" if i.expected_effect else ""),
                          ""]  # fmt: skip
            lines += [f"**What changed:** {md(i.changed)}", ""]
        return "\n".join(lines).rstrip() + "\n"

    def to_html(self) -> str:
        e = html.escape
        parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                 f"<title>{e(self._heading())}</title>", f"<style>{_CSS}</style>",
                 "</head><body>", f"<h1>{e(self._heading())}</h1>"]  # fmt: skip
        if not self.items:
            parts.append("<p>No actions in progress or done yet.</p>")
        for i in self.items:
            parts.append('<section class="item">')
            parts.append(f"<h2>{e(i.title)}</h2>")
            parts.append(f'<p><strong>You said:</strong> {i.mentions:,} of {i.comments:,} '
                         f"comments in the {e(i.window)} before {i.started_on:%d %B %Y} "
                         f"mentioned {e(i.theme)}.</p>")  # fmt: skip
            if i.quote:
                parts.append(f"<blockquote>{e(i.quote)}</blockquote>")
            did = f"<p><strong>We did:</strong> {e(i.title)} (since {i.started_on:%d %B %Y})"
            if i.description:
                did += f": {e(i.description)}"
            parts.append(did + "</p>")
            if self.audience == "employees":
                extra = f"; expected: {e(i.expected_effect)}" if i.expected_effect else ""
                parts.append(f'<p class="meta">Owner: {e(i.owner)}; status: '
                             f"{e(i.status.replace('_', ' '))}{extra}</p>")  # fmt: skip
            parts.append(f"<p><strong>What changed:</strong> {e(i.changed)}</p></section>")
        parts.append("</body></html>")
        return "\n".join(parts) + "\n"

    def to_text(self) -> str:
        out = [self._heading().upper(), ""]
        if not self.items:
            out.append("No actions in progress or done yet.")
        for i in self.items:
            out.append(i.title)
            out.append(f"  You said: {i.mentions:,} of {i.comments:,} comments in the {i.window} "
                       f"before {i.started_on} mentioned {i.theme}.")  # fmt: skip
            if i.quote:
                out.append(f'    "{i.quote}"')
            did = f"  We did: {i.title} (since {i.started_on})"
            out.append(did + (f": {i.description}" if i.description else ""))
            if self.audience == "employees":
                out.append(f"  Owner: {i.owner}; status: {i.status.replace('_', ' ')}"
                           + (f"; expected: {i.expected_effect}" if i.expected_effect else ""))  # fmt: skip
            out.append(f"  What changed: {i.changed}")
            out.append("")
        return "\n".join(out).rstrip() + "\n"


_CSS = ("body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
        "color:#222}section.item{border-top:1px solid #ccc;padding-top:.5rem}"
        "blockquote{border-left:4px solid #888;margin:0 0 1rem;padding:.2rem 1rem;"
        "font-style:italic}.meta{color:#555}@media print{section.item{break-inside:avoid}}")  # fmt: skip
_MD_INLINE = re.compile(r"([\\`*_\[\]<>&~!|])")
_MD_LINE_START = re.compile(r"^([#+-])")
_MD_ORDERED = re.compile(r"^(\d+)([.)])")


def md(text: str) -> str:
    """Untrusted text made inert in Markdown: inline markup characters (backslash, backtick,
    ``* _ [ ] < > & ~ ! |``) backslash-escaped, and a leading ``#``, ``+``, ``-`` or ``1.``
    too; line breaks flattened. A comment cannot start a heading, a list, a link or raw HTML.
    """
    flat = " ".join(str(text).split())
    flat = _MD_LINE_START.sub(r"\\\1", _MD_INLINE.sub(r"\\\1", flat))
    return _MD_ORDERED.sub(r"\1\\\2", flat)


def you_said_we_did(
    ws, audience: str = "customers", since: dt.date | None = None,
    window_days: int = WINDOW_DAYS,
) -> YouSaidWeDid:  # fmt: skip
    """The "you said, we did" list for ``customers`` or ``employees`` (module docstring)."""
    audience = str(audience).strip().lower()
    if audience not in AUDIENCES:
        raise RecordInvalid(f"unknown audience {audience!r}; choose from: {', '.join(AUDIENCES)}")
    actions = [a for a in list_actions(ws, status=["in_progress", "done"])
               if a.audience in (audience, "everyone")
               and (since is None or a.started_on >= since)]  # fmt: skip
    report = YouSaidWeDid(audience, since)
    redactor = Redactor(ws.settings.privacy.account_patterns)
    for a in actions:
        impact = action_impact(ws, a.id, window_days)
        for t in impact.themes:
            quote, on = representative_comment(ws, t, redactor)
            report.items.append(_item(a, t, span_words(max(impact.window_days, 1)), quote, on))
    return report


def _item(a: ImprovementAction, t: ThemeImpact, window: str, quote, on) -> SaidAndDone:
    return SaidAndDone(
        action_id=a.id, theme=t.theme, mentions=t.before.mentions, comments=t.before.comments,
        window=window, quote=quote, quote_on=on, title=a.title, description=a.description,
        started_on=a.started_on, status=a.status, owner=a.owner,
        expected_effect=a.expected_effect, changed=t.sentence,
        distinguishable=t.distinguishable)  # fmt: skip


def representative_comment(
    ws, t: ThemeImpact, redactor: Redactor | None = None
) -> tuple[str | None, dt.date | None]:
    """The most specific comment mentioning the theme in the before window (module
    docstring), redacted; (None, None) if there is none."""
    from ..text.workspace_tags import workspace_taxonomy

    store = ws.analytics
    wanted = t.theme.lower()
    found = store.table("comment_themes")
    found = found.filter((found.theme.lower() == wanted) | (found.parent.lower() == wanted))
    tax = workspace_taxonomy(ws)
    polarity = tax[t.theme].polarity if t.theme in tax else "either"
    if polarity in ("negative", "positive"):
        found = found.filter(found.sentiment == polarity)
    found = found.select("response_id").distinct()
    r = store.table("responses")
    r = r.filter(r.comment.notnull(), r.responded_at >= day_start(t.before.first_day),
                 r.responded_at < day_start(t.before.last_day + dt.timedelta(days=1)))  # fmt: skip
    r = r.semi_join(found, "response_id")
    q = r.select("response_id", "responded_at", "comment").order_by(
        ibis.desc("responded_at"), "response_id").limit(MAX_CANDIDATES)  # fmt: skip
    rows = store.con.to_pyarrow(q).to_pylist()
    if not rows:
        return None, None
    best = max(rows, key=lambda x: (round(text_features(x["comment"]).specific, 6),
                                    x["responded_at"], x["response_id"]))  # fmt: skip
    text = (redactor or Redactor(ws.settings.privacy.account_patterns)).text(best["comment"])
    return " ".join(text.split()), best["responded_at"].date()
