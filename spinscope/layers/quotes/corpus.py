"""The quotes layer's part of the corpus report (`spinscope.corpus`)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from spinscope.corpus import Corpus, Row, Section, inline

#: How many speakers the table and chart keep.
TOP_SPEAKERS = 15
#: How many reporting verbs the chart colours; the rest are drawn as "other".
TOP_VERBS = 8
OTHER_VERBS = "(other)"

#: The columns of the quotes table the report reads.
COLUMNS = ("article_id", "speaker_entity", "cue")


def full_names(names: Iterable[str]) -> dict[str, str]:
    """Each one-word name of `names` that is the last word of exactly one longer name among
    them, mapped to that name: an article that says only "Obama" and another that introduces
    "Barack Obama" quote one speaker. A word two longer names end with ("Clinton": Bill and
    Hillary Clinton) stays as it is."""
    names = set(names)
    longer: dict[str, set[str]] = defaultdict(set)
    for name in names:
        words = name.split()
        if len(words) > 1:
            longer[words[-1]].add(name)
    return {
        name: next(iter(longer[name]))
        for name in names
        if len(name.split()) == 1 and len(longer.get(name, ())) == 1
    }


def sections(quotes: list[Row], corpus: Corpus) -> list[Section]:
    """The most-quoted speakers (resolved entities, a surname alone joined to the one full
    name of the corpus it ends: `full_names`) and the reporting verbs they get."""
    named = [q for q in quotes if q["speaker_entity"]]
    joined = full_names(str(q["speaker_entity"]) for q in named)

    def speaker(quote: Row) -> str:
        name = str(quote["speaker_entity"])
        return joined.get(name, name)

    speakers = Counter(map(speaker, named))
    top = [name for name, _ in speakers.most_common(TOP_SPEAKERS)]
    verbs: dict[str, Counter[str]] = defaultdict(Counter)
    for q in named:
        if speaker(q) in top:
            verbs[speaker(q)][(q["cue"] or "(no verb)").lower()] += 1
    rows: list[dict[str, Any]] = [
        {"speaker": name, "verb": verb, "quotes": n, "speaker_quotes": speakers[name]}
        for name in top
        for verb, n in verbs[name].most_common()
    ]
    chart = None
    if rows:
        import altair as alt

        # The chart colours the most frequent verbs and puts the long tail under "other";
        # the table keeps every verb.
        overall: Counter[str] = Counter()
        for r in rows:
            overall[r["verb"]] += r["quotes"]
        shown = [verb for verb, _ in overall.most_common(TOP_VERBS)]
        drawn: Counter[tuple[str, str]] = Counter()
        for r in rows:
            drawn[r["speaker"], r["verb"] if r["verb"] in shown else OTHER_VERBS] += r["quotes"]
        bars = [{"speaker": who, "verb": verb, "quotes": n} for (who, verb), n in drawn.items()]
        chart = (
            alt.Chart(inline(bars))
            .mark_bar()
            .encode(
                y=alt.Y("speaker:N", sort=top, title=None),
                x=alt.X("sum(quotes):Q", title="quotes"),
                color=alt.Color("verb:N", sort=[*shown, OTHER_VERBS], title="reporting verb"),
                order=alt.Order("verb_rank:Q"),
                tooltip=["speaker:N", "verb:N", "quotes:Q"],
            )
            .transform_calculate(
                verb_rank=f"indexof({json.dumps([*shown, OTHER_VERBS])}, datum.verb)"
            )
            .properties(width=560, height=alt.Step(18))
            .to_dict()
        )
    section = Section(
        "speakers",
        "Most-quoted speakers and their reporting verbs",
        f"The {TOP_SPEAKERS} speakers (resolved to an entity) with the most quotes, split by the "
        f"reporting verb of each quote (the chart colours the {TOP_VERBS} most frequent verbs; "
        f"the table has them all).",
        rows,
        chart,
    )
    return [section]
