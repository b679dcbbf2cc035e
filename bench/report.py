"""Writing bench/RESULTS.md from the measured numbers (``bench/data/last.json``): the core
table (ingest, queries), the reading of the ingest numbers, and each part's own section.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent


def text_sections(text: dict) -> list[str]:
    import discovery
    import sentiment
    import tagging
    import zeroshot

    lines = tagging.markdown(text["phrases"], text["full"])
    lines += [
        "## Sentiment against VADER (text only)",
        "",
        "Macro-F1 over negative / neutral / positive, in %, in one run (`bench/sentiment.py`):",
        "women's-clothing reviews (rating 1-2 / 3 / 4-5) and broadband NPS verbatims",
        "(0-6 / 7-8 / 9-10). No parameter was trained or tuned on either set: the model is a",
        "head on MiniLM trained on a hand-written multi-sector seed",
        "(`src/cxloop/text/sentiment_seed.jsonl`), its thresholds chosen by cross-validation",
        "on that seed. During development this evaluation was run about a dozen times and",
        "its confusion matrices guided what kind of seed examples to write, so the numbers",
        "may be slightly optimistic. The score that comes with each comment is not used.",
        "",
        sentiment.table(text["sentiment"]),
        "",
        "Runtime check (a separate run of the same script on 2026-11-22, with the head's",
        "previous thresholds -0.34 / 0.32): PyTorch fp32 51.6 (clothing) and 64.7 (NPS),",
        "ONNX int8 52.1 and 64.5.",
        "",
    ]
    lines += discovery.markdown(text["discovery"])
    lines += zeroshot.markdown(text["zeroshot"], text.get("zeroshot_torch"))
    return lines


def write_results(previous: dict) -> str:
    import insights

    ingest, queries, text = previous["ingest"], previous["queries"], previous.get("text")
    lines = [
        "# Benchmark results",
        "",
        f"Measured {dt.datetime.now():%Y-%m-%d %H:%M} on {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, duckdb {duckdb.__version__}; "
        "median of the rounds, same process and same files for cxloop and the reference. "
        "Re-run with `make bench`.",
        "",
        "| case | reference | reference s | cxloop s | ratio | target | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    ok = lambda cond: "met" if cond else "NOT met"  # noqa: E731
    label = f"ingest {ingest['rows']:,} responses (CSV, validate, dedupe, redact, durable write)"
    lines.append(
        f"| {label} | DuckDB read_csv into a table in memory | {ingest['duckdb_s']:.2f} "
        f"| {ingest['cxloop_s']:.2f} | {ingest['ratio']:.2f}x of DuckDB's rows/s | >= 0.3x "
        f"| {ok(ingest['ratio'] >= 0.3)} |"
    )
    lines.append(
        f"| {label} | DuckDB read_csv into a table in a DuckDB file | "
        f"{ingest['duckdb_file_s']:.2f} | {ingest['cxloop_s']:.2f} "
        f"| {ingest['ratio_file']:.2f}x of DuckDB's rows/s | >= 0.3x "
        f"| {ok(ingest['ratio_file'] >= 0.3)} |"
    )
    lines.append(
        f"| ingest peak memory | | | {ingest['peak_mib']:,.0f} MiB | | < 2,048 MiB "
        f"| {ok(ingest['peak_mib'] < 2048)} |"
    )
    for name, label in (
        ("nps_team_week", "NPS by team x week, 1M responses"),
        ("kpi_team_month", "KPIs by team x month, 10M interactions"),
    ):
        q = queries[name]
        lines.append(
            f"| {label} ({q['groups']:,} groups) | hand-written DuckDB SQL | {q['sql_s']:.3f} "
            f"| {q['api_s']:.3f} | {q['ratio']:.2f}x the time | <= 3x | {ok(q['ratio'] <= 3)} |"
        )
    lines += [
        "",
        f"Re-ingesting the same 1M-row file: {ingest['rerun_s']:.2f} s, "
        f"{ingest['rerun_duplicates']:,} duplicates, nothing added. "
        f"First ingest: {ingest['accepted']:,} accepted, {ingest['quarantined']:,} quarantined.",
        "Largest absolute difference between the API's numbers and the reference SQL: "
        + ", ".join(f"{k} {v['max_abs_diff']:.2e}" for k, v in queries.items())
        + ".",
        "",
        "## Reading the ingest numbers",
        "",
        "The issue's reference is DuckDB's `read_csv` into a table (about 1M rows/s here on a",
        "narrower file). Into an in-memory table DuckDB skips what a workspace must do: write",
        "durable, compressed storage. DuckDB's own `read_csv` into a table in a DuckDB file",
        "takes about 3x its in-memory time on this file, so both references are shown.",
        "cxloop meets 0.3x against the durable load and misses it against the in-memory one.",
        "",
        "Where an ingest of this file spends its time (profiled 2026-11-22, one run):",
        "reading the CSV as text with pyarrow 1.1 s; type, range, date and reference checks",
        "plus redaction 1.1 s; hashing and comparing with the store 0.7 s; writing the",
        "responses (1.1M rows) and their rating items (3.9M rows) into the DuckDB file 3.8 s,",
        "most of it DuckDB compressing the columns. zstd on the comments would save another",
        "0.5 s but makes the file 43% larger (86 MiB instead of 60 MiB), so FSST is kept.",
        "Redaction is one RE2 scan per free-text column; only",
        "the few candidate card numbers reach Python for the Luhn check. Naming each",
        "column's compression when the table is created (FSST for ids and text, dictionary",
        "for categories, bitpacking for numbers and times) spares DuckDB its per-segment",
        "analysis: the writes fell from about 5.0 s to 3.8 s for the same file size.",
        "",
        "The response file is the simulator's large size: 1.13M responses with four rating",
        "items each and 64% non-empty comments (174 MB); 10.8M interactions as Parquet.",
        "",
    ]
    if previous.get("insights"):
        lines += insights.markdown(previous["insights"])
    if previous.get("cases"):
        import cases

        lines += cases.markdown(previous["cases"])
    if text:
        lines += text_sections(text)
    text = "\n".join(lines)
    (HERE / "RESULTS.md").write_text(text)
    return text
