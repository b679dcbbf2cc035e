"""Turns planted themes into comments that read like customers wrote them.

Each theme becomes a clause drawn from the phrase bank (``phrases.toml``): alternatives
are picked and slots filled with the contact's facts (how long they waited, amounts,
products, the agent's first name). Clauses of mixed sentiment are joined with "but";
then come an optional context sentence, opener and closer, and the customer's own
style: lower case, missing punctuation, the odd typo, and sometimes personal data.
"""

from __future__ import annotations

import functools
import random
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from . import config as C
from .pii import pii_sentence
from .reasons import REASON_NAMES
from .themes import THEMES

_ALT = re.compile(r"\[([^\[\]]*)\]")
_PRODUCT_WORDS = (
    ("credit card", "card", "credit card", "Visa card", "card account"),
    ("loan", "personal loan", "loan account", "loan"),
    ("savings account", "ISA", "savings", "easy access account"),
    ("current account", "account", "bank account", "current account"),
)
_TIMES = (
    "twice",
    "three times",
    "3 times",
    "four times",
    "4 times",
    "5 times",
    "several times",
    "multiple times",
)
_DAYS = (
    "3 days",
    "4 days",
    "a week",
    "over a week",
    "10 days",
    "two weeks",
    "2 weeks",
    "a fortnight",
    "three weeks",
    "a month",
    "5 days",
)
_TYPO_SHARE = 0.1
#: How customers end a sentence, weighted by how often they do.
_ENDS = (". ",) * 70 + ("! ",) * 8 + (".  ",) * 4 + (" - ",) * 5 + (", ",) * 8 + ("... ",) * 5
_NAMED = {"friendly agent", "knowledgeable agent", "went the extra mile"}


@functools.cache
def phrase_bank() -> dict[str, Any]:
    """The phrase bank (``phrases.toml``), read once."""
    return tomllib.loads(resources.files(__package__).joinpath("phrases.toml").read_text("utf-8"))


Template = tuple[list[str], list[list[str]], bool]


def compile_template(template: str) -> Template:
    """Split a phrase into literal text, alternatives, and whether it has slots."""
    parts = _ALT.split(template)
    return parts[0::2], [p.split("|") for p in parts[1::2]], "{" in template


def expand(rnd: random.Random, template: Template, slots: dict[str, str]) -> str:
    """One reading of a compiled phrase: an alternative picked for each group, slots filled."""
    lits, alts, has_slot = template
    r = rnd.random
    out = [lits[0]]
    for options, lit in zip(alts, lits[1:], strict=True):
        out.append(options[int(r() * len(options))])
        out.append(lit)
    text = "".join(out)
    if has_slot:
        text = text.format_map(slots)
    return " ".join(text.split())


def _uses_staff(template: Template) -> bool:
    lits, alts, _ = template
    return any("{staff}" in x for x in lits) or any(
        "{staff}" in a for options in alts for a in options
    )


@dataclass
class Context:
    """The facts a comment can draw on."""

    agent: str
    channel: int  # -1 for relationship surveys
    wait: float
    product: int
    reason: int
    since_year: int
    nps: int
    first: str  # customer's names, for an email address
    last: str
    pii: bool


class _Slots(dict):
    def __init__(self, writer: CommentWriter, ctx: Context) -> None:
        super().__init__()
        self.w, self.ctx = writer, ctx

    def __missing__(self, key: str) -> str:
        value = self.w.slot(key, self.ctx)
        self[key] = value
        return value


class CommentWriter:
    """Writes one comment at a time from themes and a context."""

    def __init__(self, rnd: random.Random) -> None:
        self.r = rnd
        bank = phrase_bank()
        self.bank: dict[tuple[int, int, bool], list] = {}
        for i, t in enumerate(THEMES):
            entry = bank["themes"][t.name]
            for code, key in ((1, "positive"), (2, "negative"), (3, "neutral")):
                if key in entry:
                    self.bank[(i, code, False)] = [compile_template(x) for x in entry[key]]
                if key + "_named" in entry:
                    self.bank[(i, code, True)] = [
                        compile_template(x) for x in entry[key + "_named"]
                    ]
        self.overall = next(i for i, t in enumerate(THEMES) if t.name == "overall service")
        self.named_themes = {i for i, t in enumerate(THEMES) if t.name in _NAMED}
        self.context = {k: [compile_template(x) for x in v] for k, v in bank["context"].items()}
        self.reasons = [bank["reasons"][name] for name in REASON_NAMES]
        self.openers, self.closers, self.but = bank["openers"], bank["closers"], bank["but"]
        self.uninformative = bank["uninformative"]["lines"]
        self.staff = [bank["staff"][c] for c in C.CHANNELS]
        self.slots = bank["slots"]

    # -- pieces ---------------------------------------------------------------------
    def expand(self, template: Template, slots: _Slots) -> str:
        return expand(self.r, template, slots)

    def slot(self, key: str, ctx: Context) -> str:
        r = self.r
        if key == "agent":
            return ctx.agent
        if key == "staff":
            return r.choice(self.staff[max(ctx.channel, 0)])
        if key == "wait":
            return self.wait_text(ctx.channel, ctx.wait)
        if key == "minutes":
            return str(r.randint(5, 45))
        if key == "amount":
            value = round(r.lognormvariate(3.3, 0.9), 2)
            style = r.random()
            return (
                f"£{value:.2f}"
                if style < 0.6
                else f"£{int(value)}"
                if style < 0.9
                else f"{int(value)} pounds"
            )
        if key == "product":
            return r.choice(_PRODUCT_WORDS[ctx.product])
        if key == "days":
            return r.choice(_DAYS)
        if key == "times":
            return r.choice(_TIMES)
        if key == "count":
            return r.choice(("three", "four", "five", "3", "4", "5", "6"))
        if key == "reason":
            return r.choice(self.reasons[ctx.reason])
        if key == "app":
            return r.choice(self.slots["app"])
        if key == "branch":
            town = r.choice(self.slots["towns"])
            return r.choice(
                (
                    f"the {town} branch",
                    "my local branch",
                    f"{town} branch",
                    "the high street branch",
                )
            )
        if key == "years":
            return str(ctx.since_year)
        raise KeyError(key)

    def wait_text(self, channel: int, seconds: float) -> str:
        r = self.r
        felt = max(seconds, 60) * r.lognormvariate(0.15, 0.2)  # waits feel longer
        hours = felt / 3600
        if channel in (C.EMAIL, C.SOCIAL) and hours >= 2:
            if hours >= 36:
                return r.choice(
                    (
                        f"{round(hours / 24)} days",
                        f"over {int(hours // 24)} days",
                        f"{round(hours / 24)} working days",
                    )
                )
            return r.choice(
                (f"{round(hours)} hours", f"over {int(hours)} hours", f"{round(hours)} hrs")
            )
        m = max(2, round(felt / 60))
        if m >= 60 and r.random() < 0.6:
            return r.choice(("over an hour", "more than an hour", "an hour", f"{m} minutes"))
        if 28 <= m <= 40 and r.random() < 0.3:
            return r.choice(("half an hour", "over half an hour", "nearly 40 minutes"))
        if 45 <= m < 60 and r.random() < 0.3:
            return r.choice(("nearly an hour", "almost an hour", "45 minutes plus"))
        return r.choice(
            (
                f"{m} minutes",
                f"{m} mins",
                f"{m}mins",
                f"{m} minutes",
                f"over {m} minutes",
                f"about {m} minutes",
            )
        )

    def clause(self, theme: int, sentiment: int, named: bool, slots: _Slots) -> str:
        options = self.bank.get((theme, sentiment, named)) or self.bank[(theme, sentiment, False)]
        template = options[int(self.r.random() * len(options))]
        for _ in range(4):  # name the person once; later clauses say what they did
            if "staff" not in slots or not _uses_staff(template):
                break
            template = options[int(self.r.random() * len(options))]
        return self.expand(template, slots)

    # -- whole comments ---------------------------------------------------------------
    def _join(self, clauses: list[str]) -> list[str]:
        """Sentences from clauses: some joined with 'and', some as separate sentences."""
        out = [clauses[0]]
        for c in clauses[1:]:
            g = self.r.random()
            if g < 0.3:
                out[-1] += self.r.choice((", and ", " and ", ", also ", " - ", ". Also ")) + c
            else:
                out.append(c)
        return out

    def write(
        self, themes: list[int], sentiments: list[int], named: bool, ctx: Context
    ) -> tuple[str, str | None]:
        """The comment text and the kind of personal data it holds (or None)."""
        r = self.r
        if not themes:
            return r.choice(self.uninformative), None
        slots = _Slots(self, ctx)
        pos: list[str] = []
        neg: list[str] = []
        neu: list[str] = []
        for t, s in zip(themes, sentiments, strict=True):
            use_name = named and t in self.named_themes and s == 1
            named = named and not use_name
            (pos if s == 1 else neg if s == 2 else neu).append(self.clause(t, s, use_name, slots))
        if pos and neg:
            if ctx.nps <= 6 or (ctx.nps <= 8 and r.random() < 0.5):  # end on the complaint
                body = self._join(pos)
                if r.random() < 0.7:
                    body[-1] += " " + r.choice(self.but["pos_then_neg"]) + " " + " and ".join(neg)
                else:
                    body += self._join(neg)
            else:  # end on the praise
                body = self._join(neg)
                body.append(r.choice(self.but["neg_then_pos"]) + ", " + " and ".join(pos))
        else:
            body = self._join(pos or neg or neu)
        if neu and (pos or neg):
            body += self._join(neu)
        mood = "positive" if ctx.nps >= 9 else "negative" if ctx.nps <= 6 else "neutral"
        if pos and not neg and mood == "negative" or neg and not pos and mood == "positive":
            mood = "neutral"  # openers and closers never contradict what was said
        elif pos and not neg and mood == "neutral" and ctx.nps >= 7:
            mood = "positive"
        short = len(themes) == 1 and themes[0] == self.overall
        if r.random() < (0.55 if short else 0.22):
            key = "relationship" if ctx.channel < 0 else "post"
            if ctx.channel == C.PHONE and r.random() < 0.6:
                key = "phone"
            body.insert(0, self.expand(r.choice(self.context[key]), slots))
        if r.random() < 0.12 and mood != "neutral":
            body[0] = r.choice(self.openers[mood]) + r.choice((", ", " ", "... ")) + body[0]
        if r.random() < (0.45 if short else 0.28):
            body.append(r.choice(self.closers[mood]))
        text = self._style(body, mood, ctx.agent)
        if not ctx.pii:
            return text, None
        # personal data is pasted as written (an IBAN stays in capitals), before or after
        sentence, kind = pii_sentence(r, ctx.first, ctx.last)
        sentence = sentence[:1].upper() + sentence[1:]
        if r.random() < 0.7:
            end = "" if text.endswith((".", "!", "?")) else "."
            return f"{text}{end} {sentence}", kind
        return f"{sentence}. {text}", kind

    def _style(self, sentences: list[str], mood: str, name: str) -> str:
        r = self.r
        pick = r.random
        ends = [_ENDS[int(pick() * len(_ENDS))] for _ in sentences]
        caps = r.random() > 0.12
        parts = []
        for i, s in enumerate(sentences):
            if caps and (i == 0 or ends[i - 1].strip() in (".", "!", "...")):
                s = s[:1].upper() + s[1:]
            end = "" if s.endswith(("!", "?", ".")) else ends[i]
            parts.append(s + end)
        text = "".join(parts).strip()
        last = r.random()
        if last < 0.2:
            text = text.rstrip(".,-! ")
        elif last < 0.28 and mood != "neutral":
            text = text.rstrip(".,- ") + "!"
        elif last < 0.3 and mood != "neutral":
            text = text.rstrip(".,- ") + "!!"
        elif last < 0.32 and mood == "positive":
            text = text.rstrip(".,- ") + " :)"
        text = text.rstrip(",- ")
        if not caps:
            text = text.lower()
        elif r.random() < 0.01:
            text = text.upper()
        if r.random() < _TYPO_SHARE:
            text = self._typo(text, name)
        if r.random() < 0.004:
            text = "- " + text
        return text

    def _typo(self, text: str, name: str) -> str:
        """One or two slips of the finger, never in numbers, addresses or the agent's name."""
        r = self.r
        words = text.split(" ")
        for _ in range(1 + (r.random() < 0.3)):
            i = r.randrange(len(words))
            w = words[i]
            if len(w) < 4 or not w.isalpha() or w.lower() == name.lower():
                continue
            j = r.randrange(1, len(w) - 1)
            move = r.random()
            if move < 0.4:
                w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
            elif move < 0.75:
                w = w[:j] + w[j + 1 :]
            else:
                w = w[:j] + w[j] + w[j:]
            words[i] = w
        return " ".join(words)
