"""Simulated customers: segment, product, region, value, tenure and (afterwards) churn.

Customer numbers follow the date the relationship began, as account numbers do.
Churn is drawn last, from each customer's experience: detractors, unresolved contacts
and the incident raise the chance of leaving; the leaving date falls after the
customer's last contact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import config as C

SEGMENTS = ("mass", "affluent", "small business")
PRODUCTS = ("credit card", "loan", "savings", "current account")
CREDIT_CARD, LOAN, SAVINGS, CURRENT = range(4)
REGIONS = (
    "London", "South East", "South West", "East of England", "Midlands", "Wales",
    "North West", "North East", "Yorkshire", "Scotland", "Northern Ireland",
)  # fmt: skip
REGION_SHARE = np.array([0.15, 0.14, 0.09, 0.09, 0.14, 0.05, 0.11, 0.04, 0.08, 0.08, 0.03])
CHANNELS_IN = ("referral", "recommendation", "advertising", "branch", "web", "comparison site")
_PRODUCT_MIX = np.array(  # by segment
    [[0.36, 0.18, 0.16, 0.30], [0.30, 0.10, 0.35, 0.25], [0.25, 0.35, 0.10, 0.30]]
)
_BASE_VALUE = np.array([180.0, 420.0, 90.0, 120.0])
_SEGMENT_VALUE = np.array([1.0, 2.6, 3.4])


@dataclass
class Customers:
    """Customers as column arrays, ordered by customer number (and so by tenure)."""

    since: np.ndarray  # day index, negative before the window
    segment: np.ndarray
    product: np.ndarray
    region: np.ndarray
    value: np.ndarray
    acquired: np.ndarray
    disposition: np.ndarray  # the customer's own tendency to score high or low
    weight_cum: np.ndarray  # cumulative contact propensity, for picking
    churn: np.ndarray  # day index of leaving, -1 while active

    @property
    def n(self) -> int:
        return len(self.since)

    def pick(self, rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
        """One customer per contact, by contact propensity, among those who were customers
        on that day (drawn from sorted uniforms, then shuffled: fast on millions)."""
        total = self.weight_cum[-1]
        out = np.empty(len(day), dtype=np.int32)
        todo = np.arange(len(day))
        for _ in range(6):
            u = np.sort(rng.random(len(todo))) * total
            idx = np.minimum(np.searchsorted(self.weight_cum, u, side="right"), self.n - 1)
            idx = idx[rng.permutation(len(idx))]
            ok = self.since[idx] <= day[todo]
            out[todo[ok]] = idx[ok]
            todo = todo[~ok]
            if not len(todo):
                return out
        avail = np.searchsorted(self.since, day[todo], side="right")  # the few left over
        top = self.weight_cum[np.maximum(avail - 1, 0)]
        idx = np.searchsorted(self.weight_cum, rng.random(len(todo)) * top, side="right")
        out[todo] = np.minimum(idx, np.maximum(avail - 1, 0))
        return out

    def legacy_card_holders(self) -> np.ndarray:
        """Credit-card customers opened before the legacy-platform cut-off."""
        cutoff = C.day_of(C.INCIDENT_OPENED_BEFORE)
        return np.flatnonzero((self.product == CREDIT_CARD) & (self.since < cutoff))


def _tenure_days(rng: np.random.Generator, n: int) -> np.ndarray:
    """Days as a customer before the window: mostly a few years, a few since the 1990s."""
    days = rng.lognormal(np.log(1700), 0.8, n)
    return np.where(days > 11_000, rng.uniform(3_000, 11_000, n), days).astype(int)


def build_customers(rng: np.random.Generator, n: int) -> Customers:
    """``n`` customers; about 15% join during the window."""
    new = rng.random(n) < 0.15
    since = np.where(
        new,
        rng.integers(0, C.N_DAYS - 30, n),
        -_tenure_days(rng, n) - 1,
    )
    since.sort()
    segment = rng.choice(3, n, p=[0.68, 0.2, 0.12])
    u = rng.random(n)
    product = (u[:, None] > np.cumsum(_PRODUCT_MIX[segment], axis=1)).sum(axis=1)
    region = rng.choice(len(REGIONS), n, p=REGION_SHARE)
    value = np.round(_BASE_VALUE[product] * _SEGMENT_VALUE[segment] * rng.lognormal(0, 0.6, n), 2)
    recent = since > -1500
    acquired = np.where(
        recent,
        rng.choice(6, n, p=[0.12, 0.14, 0.16, 0.1, 0.33, 0.15]),
        rng.choice(6, n, p=[0.08, 0.12, 0.2, 0.38, 0.14, 0.08]),
    )
    weight = rng.lognormal(0, 0.9, n) * np.where(product == CREDIT_CARD, 1.3, 1.0)
    return Customers(
        since=since.astype(np.int32),
        segment=segment.astype(np.int8),
        product=product.astype(np.int8),
        region=region.astype(np.int8),
        value=value,
        acquired=acquired.astype(np.int8),
        disposition=rng.normal(0, 0.75, n).astype(np.float32),
        weight_cum=np.cumsum(weight),
        churn=np.full(n, -1, dtype=np.int32),
    )


def draw_churn(
    rng: np.random.Generator,
    cust: Customers,
    last_contact: np.ndarray,
    worst_nps: np.ndarray,
    unresolved: np.ndarray,
    affected: np.ndarray,
) -> None:
    """Set ``cust.churn`` from each customer's experience (-1 where they stay).

    ``last_contact`` is the day of the last contact (-1 for none), ``worst_nps`` the
    lowest score given (-1 for none), ``unresolved`` the count of unresolved contacts,
    ``affected`` whether the incident hit them.
    """
    hazard = np.full(cust.n, 0.075)  # per year
    hazard *= np.where(
        worst_nps < 0, 1.0, np.where(worst_nps <= 6, 2.6, np.where(worst_nps >= 9, 0.6, 1.0))
    )
    hazard *= 1.0 + 0.3 * np.minimum(unresolved, 3)
    hazard *= np.where(affected, 1.5, 1.0)
    hazard *= np.exp(-0.25 * cust.disposition)
    start = np.maximum(cust.since, 0)
    years = (C.N_DAYS - start) / 365.0
    leaves = rng.random(cust.n) < 1 - np.exp(-hazard * years)
    after_contact = last_contact + 7 + rng.integers(0, 110, cust.n)
    anytime = start + (rng.random(cust.n) * (C.N_DAYS - start)).astype(int)
    day = np.where(last_contact >= 0, after_contact, anytime)
    day = np.maximum(day, cust.since + 30)
    cust.churn = np.where(leaves & (day < C.N_DAYS), day, -1).astype(np.int32)
