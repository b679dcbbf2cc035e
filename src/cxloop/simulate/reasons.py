"""Contact reasons and queues: what customers contact about, by product and channel.

Each reason carries how complex it is to handle (longer talk, more transfers, less
often resolved), how it moves satisfaction, and the comment theme it tends to raise.
"""

from __future__ import annotations

import numpy as np

from . import config as C
from .customers import CREDIT_CARD, CURRENT, LOAN, SAVINGS

#: (reason, complexity 0..1, latent NPS effect, related theme or "")
REASONS: tuple[tuple[str, float, float, str], ...] = (
    ("balance enquiry", 0.0, 0.1, ""),
    ("statement", 0.1, 0.0, "unclear communication"),
    ("billing error", 0.5, -0.8, "billing error"),
    ("card not received", 0.3, -0.4, "card delivery"),
    ("lost or stolen card", 0.2, 0.0, "card delivery"),
    ("payment query", 0.2, -0.1, "payment problems"),
    ("dispute a transaction", 0.6, -0.3, "refunds"),
    ("fraud concern", 0.5, 0.1, "fraud and security"),
    ("credit limit", 0.4, -0.2, "credit limit"),
    ("loan application", 0.5, -0.1, "loan application"),
    ("repayment query", 0.3, -0.1, "fees and charges"),
    ("early settlement", 0.3, 0.0, "slow process"),
    ("payment holiday", 0.6, -0.2, "empathy and care"),
    ("interest rate", 0.2, -0.2, "interest rates"),
    ("open account", 0.3, 0.1, "slow process"),
    ("withdrawal", 0.2, 0.0, ""),
    ("ISA transfer", 0.5, -0.3, "slow process"),
    ("overdraft", 0.3, -0.3, "fees and charges"),
    ("direct debit", 0.2, 0.0, "payment problems"),
    ("app login problem", 0.3, -0.5, "app and online banking"),
    ("address change", 0.1, 0.1, "security checks"),
    ("complaint", 0.8, -1.2, "kept informed"),
    ("close account", 0.4, -0.6, "account closure"),
    ("bereavement", 0.6, 0.0, "empathy and care"),
)
REASON_NAMES = tuple(r[0] for r in REASONS)
R = {name: i for i, name in enumerate(REASON_NAMES)}
COMPLEXITY = np.array([r[1] for r in REASONS])
REASON_EFFECT = np.array([r[2] for r in REASONS])
REASON_THEME = tuple(r[3] for r in REASONS)


def _weights(pairs: dict[str, float]) -> np.ndarray:
    w = np.zeros(len(REASONS))
    for name, v in pairs.items():
        w[R[name]] = v
    return w


_COMMON = {"balance enquiry": 8, "statement": 4, "app login problem": 4, "address change": 3,
           "complaint": 2.5, "close account": 1.5, "bereavement": 0.4}  # fmt: skip
_BY_PRODUCT = np.array(
    [
        _weights(_COMMON | {"billing error": 1.2, "card not received": 4, "lost or stolen card": 5,
                            "payment query": 7, "dispute a transaction": 5, "fraud concern": 4,
                            "credit limit": 5, "payment holiday": 1}),
        _weights(_COMMON | {"payment query": 5, "loan application": 9, "repayment query": 8,
                            "early settlement": 4, "payment holiday": 3}),
        _weights(_COMMON | {"interest rate": 9, "open account": 6, "withdrawal": 7,
                            "ISA transfer": 4}),
        _weights(_COMMON | {"billing error": 0.8, "card not received": 3, "lost or stolen card": 4,
                            "payment query": 5, "dispute a transaction": 4, "fraud concern": 4,
                            "open account": 3, "overdraft": 7, "direct debit": 7}),
    ]
)  # fmt: skip
assert _BY_PRODUCT.shape[0] == len((CREDIT_CARD, LOAN, SAVINGS, CURRENT))
_CHANNEL_MULT = np.ones((5, len(REASONS)))
_CHANNEL_MULT[C.CHAT, R["app login problem"]] = 3.0
_CHANNEL_MULT[C.EMAIL, R["complaint"]] = 2.5
_CHANNEL_MULT[C.SOCIAL, R["complaint"]] = 3.0
_CHANNEL_MULT[C.SOCIAL, R["app login problem"]] = 2.0
_CHANNEL_MULT[C.BRANCH, [R["bereavement"], R["open account"], R["loan application"]]] = 2.5
_CHANNEL_MULT[C.BRANCH, R["app login problem"]] = 0.3
_CHANNEL_MULT[C.PHONE, [R["lost or stolen card"], R["fraud concern"]]] = 1.6

QUEUES = (
    "Cards", "Lending", "Savings", "Everyday banking", "Fraud and disputes", "Complaints",
    "Bereavement support", "Web chat", "App chat", "Email servicing", "Branch counter",
    "Branch appointments", "Social care",
)  # fmt: skip
Q = {name: i for i, name in enumerate(QUEUES)}


def draw_reasons(rng: np.random.Generator, product: np.ndarray, channel: np.ndarray) -> np.ndarray:
    """A contact reason for each contact, given the customer's product and the channel."""
    out = np.zeros(len(product), dtype=np.int16)
    for p in range(_BY_PRODUCT.shape[0]):
        for c in range(5):
            mask = (product == p) & (channel == c)
            m = int(mask.sum())
            if m:
                w = _BY_PRODUCT[p] * _CHANNEL_MULT[c]
                out[mask] = rng.choice(len(REASONS), m, p=w / w.sum())
    return out


def route(
    rng: np.random.Generator, product: np.ndarray, channel: np.ndarray, reason: np.ndarray
) -> np.ndarray:
    """The queue each contact is routed to."""
    by_product = np.array([Q["Cards"], Q["Lending"], Q["Savings"], Q["Everyday banking"]])
    q = by_product[product]
    q = np.where(
        np.isin(reason, [R["fraud concern"], R["dispute a transaction"]]),
        Q["Fraud and disputes"],
        q,
    )
    q = np.where(reason == R["complaint"], Q["Complaints"], q)
    q = np.where(reason == R["bereavement"], Q["Bereavement support"], q)
    app = (reason == R["app login problem"]) | (rng.random(len(q)) < 0.35)
    q = np.where(channel == C.CHAT, np.where(app, Q["App chat"], Q["Web chat"]), q)
    q = np.where((channel == C.EMAIL) & (reason != R["complaint"]), Q["Email servicing"], q)
    booked = np.isin(reason, [R["bereavement"], R["open account"], R["loan application"]])
    q = np.where(
        channel == C.BRANCH, np.where(booked, Q["Branch appointments"], Q["Branch counter"]), q
    )
    q = np.where(channel == C.SOCIAL, Q["Social care"], q)
    return q.astype(np.int16)
