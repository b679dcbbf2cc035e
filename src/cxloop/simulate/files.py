"""One function per output file: the simulated columns as canonical tables on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..model import ENTITIES
from . import config as C
from . import tables as T
from .comments import Comments
from .customers import CHANNELS_IN, PRODUCTS, REGIONS, SEGMENTS, Customers
from .experience import ITEMS, Responses
from .interactions import Contacts
from .org import NEVER, Org
from .people import PULSE_ITEMS, People
from .reasons import QUEUES, REASON_NAMES

CHUNK = 2_000_000


class Ids:
    """The natural keys of customers, employees and teams, as Arrow arrays."""

    def __init__(self, cust: Customers, org: Org) -> None:
        self.customers = T.ids("C", cust.n, 7)
        self.employees = pa.array(org.ids, pa.string())
        self.teams = pa.array(org.team_ids, pa.string())
        self.interactions: pa.Array = pa.array([], pa.string())
        self.responses: pa.Array = pa.array([], pa.string())


def customers(out: Path, cust: Customers, ids: Ids) -> Path:
    tab = T.table(
        "customers",
        {
            "customer_id": ids.customers,
            "segment": T.pick(list(SEGMENTS), cust.segment),
            "product": T.pick(list(PRODUCTS), cust.product),
            "region": T.pick(list(REGIONS), cust.region),
            "annual_value": T.floats(cust.value),
            "customer_since": T.dates(cust.since),
            "churned_at": T.dates(np.maximum(cust.churn, 0), cust.churn < 0),
            "acquired_via": T.pick(list(CHANNELS_IN), cust.acquired),
        },
    )
    return T.write_csv(tab, out / "customers.csv")


def employees(out: Path, org: Org, ids: Ids) -> Path:
    left = np.array(org.left)
    tab = T.table(
        "employees",
        {
            "employee_id": ids.employees,
            "name": T.texts([f"{f} {s}" for f, s in zip(org.first, org.last, strict=True)]),
            "role": T.texts(org.role),
            "team_id": T.pick(ids.teams, np.array(org.team)),
            "manager_id": T.pick(
                ids.employees, np.array([org.manager_of(e) for e in range(org.n)])
            ),
            "site": T.texts(org.site),
            "started_on": T.dates(np.array(org.started)),
            "left_on": T.dates(np.where(left == NEVER, 0, left), left == NEVER),
        },
    )
    return T.write_csv(tab, out / "employees.csv")


def interactions(out: Path, k: Contacts, ids: Ids) -> Path:
    ids.interactions = T.ids("I", len(k), 9)
    sink = T.ParquetSink(out / "interactions.parquet", ENTITIES["interactions"].arrow_schema)
    for a in range(0, len(k), CHUNK):
        s = slice(a, a + CHUNK)
        part = {
            "interaction_id": ids.interactions[a : a + CHUNK],
            "started_at": T.timestamps(k.time[s]),
            "channel": T.pick(list(C.CHANNELS), k.channel[s]),
            "queue": T.pick(list(QUEUES), k.queue[s]),
            "reason": T.pick(list(REASON_NAMES), k.reason[s]),
            "customer_id": T.pick(ids.customers, k.cust[s]),
            "agent_id": T.pick(ids.employees, k.emp[s]),
            "team_id": T.pick(ids.teams, k.team[s]),
            "offered": pa.array(k.offered[s]),
            "answered": pa.array(k.answered[s]),
            "abandoned": pa.array(k.abandoned[s]),
            "wait_seconds": T.floats(k.wait[s]),
            "talk_seconds": T.floats(k.talk[s]),
            "hold_seconds": T.floats(k.hold[s]),
            "wrap_seconds": T.floats(k.wrap[s]),
            "transfers": T.ints(k.transfers[s], k.transfers[s] < 0),
            "resolved": pa.array(k.resolved[s] == 1, mask=k.resolved[s] < 0),
        }
        sink.write(T.table("interactions", part))
    return sink.close()


def responses(out: Path, r: Responses, comments: Comments, ids: Ids) -> Path:
    ids.responses = T.ids("R", len(r), 8)
    tab = T.table(
        "responses",
        {
            "response_id": ids.responses,
            "responded_at": T.timestamp_text(r.time),
            "instrument": T.texts(
                np.where(r.contact >= 0, "post-contact", "relationship").tolist()
            ),
            "customer_id": T.pick(ids.customers, r.cust),
            "interaction_id": T.pick(ids.interactions, r.contact),
            "agent_id": T.pick(ids.employees, r.emp),
            "team_id": T.pick(ids.teams, r.team),
            "channel": T.pick(list(C.CHANNELS), r.channel),
            "nps": T.ints(r.nps, r.nps < 0),
            "csat": T.ints(r.csat, r.csat < 0),
            "ces": T.ints(r.ces, r.ces < 0),
            "comment": T.texts(comments.text),
        },
        {name: T.ints(r.items[name]) for name in ITEMS},
    )
    return T.write_csv(tab, out / "responses.csv")


def pulses(out: Path, p: People, ids: Ids) -> Path:
    n = len(p.pulse_team)
    tab = T.table(
        "pulses",
        {
            "pulse_response_id": T.ids("P", n, 7),
            "respondent": T.texts(p.pulse_token),
            "team_id": T.pick(ids.teams, p.pulse_team),
            "period": T.dates(C.MONTH_STARTS[p.pulse_month]),
            "enps": T.ints(p.pulse_enps, p.pulse_enps < 0),
            "comment": T.texts(p.pulse_comment),
        },
        {name: T.ints(p.pulse_items[name]) for name in PULSE_ITEMS},
    )
    return T.write_csv(tab, out / "pulses.csv")


def checkins(out: Path, p: People, ids: Ids) -> Path:
    tab = T.table(
        "checkins",
        {
            "checkin_id": T.ids("K", len(p.checkin_emp), 7),
            "employee_id": T.pick(ids.employees, p.checkin_emp),
            "leader_id": T.pick(ids.employees, p.checkin_leader),
            "held_on": T.dates(p.checkin_day),
            "notes": T.texts(p.checkin_notes),
        },
    )
    return T.write_csv(tab, out / "checkins.csv")


def coaching(out: Path, p: People, ids: Ids) -> Path:
    tab = pa.table(
        {
            "employee_id": T.pick(ids.employees, p.coaching_emp),
            "leader_id": T.pick(ids.employees, p.coaching_leader),
            "held_on": T.dates(p.coaching_day),
            "focus_theme": T.texts(p.coaching_theme),
            "programme": T.texts(p.coaching_programme),
        }
    )
    return T.write_csv(tab, out / "coaching.csv")


def comment_truth(out: Path, c: Comments, ids: Ids) -> Path:
    tab = pa.table(
        {
            "response_id": ids.responses.take(pa.array(c.rows)),
            "themes": pa.array(c.themes, pa.list_(pa.string())),
            "sentiments": pa.array(c.sentiments, pa.list_(pa.string())),
            "names_agent": pa.array(c.names_agent),
            "pii": pa.array(c.pii, pa.string()),
        }
    )
    path = out / "comment_truth.parquet"
    pq.write_table(tab, path, compression="zstd")
    return path
