"""The claims layer's part of the corpus report (`spinscope.corpus`): claims with no or vague
sources by outlet, and the most check-worthy claims."""

from __future__ import annotations

from collections import Counter, defaultdict

from spinscope.corpus import Corpus, Row, Section, inline

#: How many claims the check-worthy table keeps.
TOP_CLAIMS = 25

#: The columns of the claims table the report reads.
COLUMNS = ("article_id", "index", "start", "end", "text", "source_kind", "score")


def sections(claims: list[Row], corpus: Corpus) -> list[Section]:
    return [_claim_sources(claims, corpus), _checkworthy(claims, corpus)]


def _claim_sources(claims: list[Row], corpus: Corpus) -> Section:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for c in claims:
        counts[corpus.outlet_of(c["article_id"])][c["source_kind"]] += 1
    rows: list[Row] = []
    shares: list[Row] = []  # the chart's rows: one per outlet and kind of source
    for name in sorted(counts):
        n = counts[name]
        total = sum(n.values())
        shares += [
            {"outlet": name, "source": kind, "claims": n[kind], "share": n[kind] / total}
            for kind in ("none", "vague", "named")
        ]
        rows.append(
            {
                "outlet": name,
                "claims": total,
                "named": n["named"],
                "vague": n["vague"],
                "none": n["none"],
                "unsourced_share": (n["vague"] + n["none"]) / total,
            }
        )
    chart = None
    if rows:
        import altair as alt

        chart = (
            alt.Chart(inline(shares))
            .mark_bar()
            .encode(
                y=alt.Y("outlet:N", title=None),
                x=alt.X("share:Q", stack="normalize", axis=alt.Axis(format="%"), title="claims"),
                color=alt.Color(
                    "source:N",
                    sort=["none", "vague", "named"],
                    scale=alt.Scale(
                        domain=["none", "vague", "named"], range=["#b91c1c", "#f59e0b", "#0f766e"]
                    ),
                    title="source",
                ),
                order=alt.Order("source:N"),
                tooltip=["outlet:N", "source:N", "claims:Q", alt.Tooltip("share:Q", format=".1%")],
            )
            .properties(width=560, height=alt.Step(22))
            .to_dict()
        )
    return Section(
        "claim_sources_by_outlet",
        "Claims with no or vague sources, by outlet",
        "Each claim's attributed source: named (a person or body), vague (\u201cofficials\u201d, "
        "\u201csome say\u201d) or none. The unsourced share is vague plus none.",
        rows,
        chart,
    )


def _checkworthy(claims: list[Row], corpus: Corpus) -> Section:
    scored = [c for c in claims if c["score"] is not None]
    scored.sort(key=lambda c: (-c["score"], c["article_id"], c["index"]))
    rows = [
        {
            "score": round(c["score"], 4),
            "claim": c["text"],
            "source": c["source_kind"],
            "outlet": corpus.outlet_of(c["article_id"]),
            "published": (corpus.articles.get(c["article_id"]) or {}).get("published"),
            "article_id": c["article_id"],
            "start": c["start"],
            "end": c["end"],
        }
        for c in scored[:TOP_CLAIMS]
    ]
    chart = None
    if rows:
        import altair as alt

        shown = [
            {**r, "label": r["claim"] if len(r["claim"]) <= 70 else r["claim"][:69] + "…"}
            for r in rows
        ]
        chart = (
            alt.Chart(inline(shown))
            .mark_bar()
            .encode(
                y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=460)),
                x=alt.X("score:Q", scale=alt.Scale(domain=[0, 1]), title="check-worthiness"),
                color=alt.Color("outlet:N"),
                tooltip=["claim:N", "outlet:N", "published:N", "score:Q", "source:N"],
            )
            .properties(width=360, height=alt.Step(18))
            .to_dict()
        )
    return Section(
        "checkworthy_claims",
        "Most check-worthy claims",
        f"The {TOP_CLAIMS} claims with the highest check-worthiness score in the corpus.",
        rows,
        chart,
    )
