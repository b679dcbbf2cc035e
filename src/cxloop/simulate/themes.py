"""The theme vocabulary the simulator plants in customer comments.

One list, two levels (group and theme), each theme with a one-line description and
the sentiments it can carry. ``comment_truth.parquet`` names themes exactly as here,
so a later taxonomy can be aligned with this vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    """One theme of customer feedback."""

    name: str
    group: str
    description: str
    polarity: str  # "negative", "positive" or "both"


THEMES: tuple[Theme, ...] = (
    Theme("long wait", "access", "Waited too long in a queue or for a reply.", "negative"),
    Theme("hard to get through", "access", "Could not get through, was cut off, or lines were closed.", "negative"),
    Theme("quick answer", "access", "Answered or replied promptly.", "positive"),
    Theme("friendly agent", "agent manner", "The person was warm, polite and friendly.", "positive"),
    Theme("knowledgeable agent", "agent manner", "The person knew the answer and explained it clearly.", "positive"),
    Theme("went the extra mile", "agent manner", "The person did more than the customer expected.", "positive"),
    Theme("rude or dismissive", "agent manner", "The person was rude, impatient or dismissive.", "negative"),
    Theme("did not listen", "agent manner", "The person did not listen to or understand the problem.", "negative"),
    Theme("wrong information", "agent manner", "The customer was given incorrect or conflicting information.", "negative"),
    Theme("no call back", "agent manner", "A promised call back or follow-up never came.", "negative"),
    Theme("scripted or robotic", "agent manner", "The person read from a script and did not engage.", "negative"),
    Theme("empathy and care", "agent manner", "How a difficult situation (bereavement, hardship) was handled.", "both"),
    Theme("issue resolved", "resolution", "The problem was sorted on the first contact.", "positive"),
    Theme("issue not resolved", "resolution", "The problem is still not sorted.", "negative"),
    Theme("passed around", "resolution", "Transferred between people or departments, repeating the story.", "negative"),
    Theme("repeat contact", "resolution", "Had to contact several times about the same thing.", "negative"),
    Theme("slow process", "resolution", "A request took days or weeks to complete.", "negative"),
    Theme("kept informed", "resolution", "Whether the customer was kept up to date on progress.", "both"),
    Theme("billing error", "billing and fees", "Charged wrongly or twice, or a payment taken in error.", "negative"),
    Theme("fees and charges", "billing and fees", "Fees, penalties or charges felt unfair.", "negative"),
    Theme("interest rates", "billing and fees", "Savings or borrowing rates, good or bad.", "both"),
    Theme("refunds", "billing and fees", "Getting money back, quickly or slowly.", "both"),
    Theme("card delivery", "cards and payments", "A new or replacement card arrived late or not at all.", "negative"),
    Theme("payment problems", "cards and payments", "A payment or card was declined, blocked or went missing.", "negative"),
    Theme("fraud and security", "cards and payments", "How a fraud concern or disputed transaction was handled.", "both"),
    Theme("security checks", "cards and payments", "Identity and security questions felt excessive.", "negative"),
    Theme("app and online banking", "digital", "The app or online banking worked well or did not.", "both"),
    Theme("chat experience", "digital", "The chat service or chatbot.", "both"),
    Theme("loan application", "products and decisions", "The loan application and its decision.", "both"),
    Theme("credit limit", "products and decisions", "A change to the credit limit, asked for or imposed.", "both"),
    Theme("account closure", "products and decisions", "Closing an account or switching away.", "negative"),
    Theme("unclear communication", "communication", "Letters, statements or terms were confusing.", "negative"),
    Theme("branch experience", "branch", "Visiting a branch: staff, queues and opening hours.", "both"),
    Theme("overall service", "overall", "A general verdict on the service with no specific detail.", "both"),
)  # fmt: skip

THEME_NAMES: tuple[str, ...] = tuple(t.name for t in THEMES)
THEME_INDEX: dict[str, int] = {name: i for i, name in enumerate(THEME_NAMES)}
SENTIMENTS = ("positive", "negative", "neutral")


def theme(name: str) -> Theme:
    """The theme called ``name``."""
    return THEMES[THEME_INDEX[name]]


def as_records() -> list[dict[str, str]]:
    """The vocabulary as JSON-ready records (written to truth.json)."""
    return [
        {"name": t.name, "group": t.group, "description": t.description, "polarity": t.polarity}
        for t in THEMES
    ]
