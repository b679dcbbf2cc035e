"""The simulator: a fictional consumer-finance company and its contact centre.

``build(out_dir, size, seed)`` writes the company's data in canonical columns
(customers, employees, interactions, survey responses, employee pulses, 1:1
check-ins) plus coaching sessions, the true themes of every comment and
``truth.json``: the planted truths later analytics must recover. Output depends only
on (size, seed); the data always runs from 2024-11-01 to 2026-10-31.

    sim = build("./data", size="small", seed=7)
    sim.files["responses"]      # Path of responses.csv
    sim.truth["wait_threshold"]["threshold_seconds"]
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from . import config as C
from . import files, truth
from .comments import write_comments
from .customers import build_customers, draw_churn
from .experience import simulate_responses
from .interactions import simulate_contacts
from .org import build_org
from .people import simulate_people
from .plan import make_plan
from .themes import THEMES

__all__ = ["SIZES", "THEMES", "Simulation", "build"]

SIZES = tuple(C.SIZES)
Progress = Callable[[str, float], None]


@dataclass
class Simulation:
    """What ``build`` wrote: entity files, extra files, the truths and row counts."""

    files: dict[str, Path]
    truth_path: Path
    truth: dict[str, Any]
    counts: dict[str, int]
    extra_files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0


def build(
    out_dir: str | Path, size: str = "medium", seed: int = 7, progress: Progress | None = None
) -> Simulation:
    """Simulate the company and write its files to ``out_dir`` (created if needed)."""
    if size not in C.SIZES:
        raise InputError(f"unknown simulator size {size!r}; choose from {', '.join(C.SIZES)}")
    started = time.perf_counter()
    spec = C.SIZES[size]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    step = progress or (lambda _s, _f: None)
    rngs = [
        np.random.default_rng(s)
        for s in np.random.SeedSequence([seed, list(C.SIZES).index(size)]).spawn(8)
    ]

    step("organisation and customers", 0.0)
    org = build_org(rngs[0], spec)
    cust = build_customers(rngs[1], spec.customers)
    plan = make_plan(rngs[2], spec, org, cust)
    step("contacts", 0.05)
    k = simulate_contacts(rngs[3], spec, org, cust, plan)
    step("survey responses", 0.35)
    candidates = np.zeros(cust.n, dtype=bool)
    candidates[plan.candidates] = True
    r = simulate_responses(rngs[4], spec, k, org, cust, plan, candidates)
    _churn(rngs[5], cust, k, r, candidates)
    step("comments", 0.42)
    comments = write_comments(rngs[6], seed, r, k, org, cust)
    step("pulses, check-ins and coaching", 0.7)
    people = simulate_people(rngs[7], seed, org, plan)

    step("writing files", 0.75)
    ids = files.Ids(cust, org)
    written = {
        "customers": files.customers(out, cust, ids),
        "employees": files.employees(out, org, ids),
        "interactions": files.interactions(out, k, ids),
    }
    step("writing responses", 0.9)
    written["responses"] = files.responses(out, r, comments, ids)
    written["pulses"] = files.pulses(out, people, ids)
    written["checkins"] = files.checkins(out, people, ids)
    extra = {
        "coaching": files.coaching(out, people, ids),
        "comment_truth": files.comment_truth(out, comments, ids),
    }
    counts = {
        "customers": cust.n, "employees": org.n, "interactions": len(k), "responses": len(r),
        "pulses": len(people.pulse_team), "checkins": len(people.checkin_emp),
        "coaching": len(people.coaching_emp), "comments": len(comments.rows),
    }  # fmt: skip

    step("truth", 0.97)
    weak, praise, coaching = truth.agents(r, comments, org, plan)
    parts = {
        "wait_threshold": truth.wait_threshold(r, k, plan),
        "engagement_drop": truth.engagement_drop(r, people, org, plan),
        "incident": truth.incident(k, r, comments, cust, plan),
        "weak_agents": weak,
        "praise_agents": praise,
        "coaching": coaching,
        "pii": truth.pii(comments, ids.responses),
        "comments": truth.comment_stats(comments, r),
        "engagement_link": truth.engagement_link(r, people, org),
        "agent_skill": truth.agent_skill(org),
        "files": {name: p.name for name, p in {**written, **extra}.items()},
    }
    data = truth.assemble(size, seed, plan, parts, counts)
    truth_path = out / "truth.json"
    truth_path.write_text(json.dumps(data, indent=2, default=_plain) + "\n", encoding="utf-8")
    step("done", 1.0)
    return Simulation(written, truth_path, data, counts, extra, time.perf_counter() - started)


def _churn(rng: np.random.Generator, cust, k, r, affected: np.ndarray) -> None:  # noqa: ANN001
    last = np.full(cust.n, -1, dtype=np.int64)
    np.maximum.at(last, k.cust, k.day.astype(np.int64))
    np.maximum.at(last, r.cust, (r.time // C.DAY).astype(np.int64))
    worst = np.full(cust.n, 99, dtype=np.int64)
    np.minimum.at(worst, r.cust, r.nps_full.astype(np.int64))
    worst[worst == 99] = -1
    unresolved = np.bincount(k.cust[k.resolved == 0], minlength=cust.n)
    draw_churn(rng, cust, last, worst, unresolved, affected)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
