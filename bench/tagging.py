"""Tagging speed: phrase matching over 1M comments and the full pipeline over 20k real
reviews (the women's-clothing reviews: long, varied, few repeated clauses).

References run in the same process on the same texts:

* phrase matching: one pyahocorasick automaton of the same keywords iterated over each
  lower-cased comment with no other work (the anchor's "Aho-Corasick alone");
* full tagging (clauses, phrases, embeddings, sentiment, themes; no cache): the raw
  throughput of the same model and runtime embedding the same comments whole, batch 64,
  length-sorted (``cxloop.text.encoder``), and, when installed, sentence-transformers'
  own ``encode`` at batch 64.
"""

from __future__ import annotations

import time

import ahocorasick

from cxloop.settings import TextSettings
from cxloop.text.encoder import load_encoder, model_folder
from cxloop.text.phrases import PhraseMatcher
from cxloop.text.taxonomy import default_taxonomy
from cxloop.text.workspace_tags import tagger_for


def _raw_automaton(keywords) -> ahocorasick.Automaton:
    a = ahocorasick.Automaton()
    for theme, phrases in enumerate(keywords):
        for p in phrases:
            a.add_word(p.casefold(), theme)
    a.make_automaton()
    return a


def phrases(comments: list[str]) -> dict:
    keywords = [t.keywords for t in default_taxonomy().taggable]
    automaton = _raw_automaton(keywords)
    started = time.perf_counter()
    raw_hits = 0
    for c in comments:
        for _ in automaton.iter(c.lower()):
            raw_hits += 1
    raw_s = time.perf_counter() - started
    matcher = PhraseMatcher(keywords)
    started = time.perf_counter()
    found = matcher.find_many(comments)
    ours_s = time.perf_counter() - started
    return {
        "comments": len(comments),
        "keywords": sum(len(k) for k in keywords),
        "raw_s": raw_s,
        "cxloop_s": ours_s,
        "raw_per_s": len(comments) / raw_s,
        "cxloop_per_s": len(comments) / ours_s,
        "hits": sum(len(f) for f in found),
        "raw_hits": raw_hits,
    }


def full(comments: list[str]) -> dict:
    encoder = load_encoder()
    encoder.encode(comments[:64])  # warm up
    started = time.perf_counter()
    encoder.encode(comments)
    raw_s = time.perf_counter() - started
    tagger = tagger_for(None, default_taxonomy(), TextSettings())
    tagger.tag(comments[:64])  # prototypes embedded once, outside the timing
    started = time.perf_counter()
    results = tagger.tag(comments)
    ours_s = time.perf_counter() - started
    out = {
        "comments": len(comments),
        "raw_s": raw_s,
        "cxloop_s": ours_s,
        "raw_per_s": len(comments) / raw_s,
        "cxloop_per_s": len(comments) / ours_s,
        "with_themes": sum(1 for r in results if r.themes),
    }
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return out
    st = SentenceTransformer(str(model_folder("all-MiniLM-L6-v2")), device="cpu")
    started = time.perf_counter()
    st.encode(comments, batch_size=64, normalize_embeddings=True)
    out["st_s"] = time.perf_counter() - started
    out["st_per_s"] = len(comments) / out["st_s"]
    return out


def markdown(p: dict, f: dict) -> list[str]:
    ratio_p = p["cxloop_per_s"] / p["raw_per_s"]
    ratio_f = f["cxloop_per_s"] / f["raw_per_s"]
    lines = [
        "## Tagging speed",
        "",
        "| case | reference | reference /s | cxloop /s | ratio | target | verdict |",
        "|---|---|---|---|---|---|---|",
        f"| phrase matching, {p['comments']:,} comments, {p['keywords']:,} keywords | "
        f"Aho-Corasick alone | {p['raw_per_s']:,.0f} | {p['cxloop_per_s']:,.0f} | "
        f"{ratio_p:.2f}x | >= 100,000 comments/s | "
        f"{'met' if p['cxloop_per_s'] >= 100_000 else 'NOT met'} |",
        f"| full tagging, {f['comments']:,} real reviews (no cache) | same model and runtime "
        f"embedding the comments whole | {f['raw_per_s']:,.0f} | {f['cxloop_per_s']:,.0f} | "
        f"{ratio_f:.2f}x | >= 0.7x | {'met' if ratio_f >= 0.7 else 'NOT met'} |",
    ]
    if "st_per_s" in f:
        lines.append(
            f"| (information) sentence-transformers encode, batch 64 | | "
            f"{f['st_per_s']:,.0f} | | | | |"
        )
    lines += [
        "",
        f"Phrase matching found {p['hits']:,} whole-word keyword hits ({p['raw_hits']:,} raw "
        "substring hits before the word-boundary check). Full tagging gave "
        f"{f['with_themes']:,} of {f['comments']:,} comments at least one theme.",
        "",
    ]
    return lines
