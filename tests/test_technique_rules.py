"""Technique rules on sentences written for these tests: each rule fires where it should, not on
near misses, and its offsets cut out exactly the phrase."""

from __future__ import annotations

from pathlib import Path

import pytest

from spinscope.errors import DataError
from spinscope.evaluate.semeval import read_techniques_dir
from spinscope.layers.techniques.rules import (
    CANDIDATES,
    PRIOR,
    RULES,
    RuleHit,
    affect_matcher,
    find,
    read_loaded_lexicon,
    shipped_affect_lexicon,
    shipped_lexicon,
)
from spinscope.parse import load_nlp
from spinscope.taxonomy import TECHNIQUES
from spinscope.train.split import is_validation
from spinscope.train.technique_lexicons import (
    build_affect_lexicon,
    build_loaded_lexicon,
    write_affect_lexicon,
    write_loaded_lexicon,
)


def phrases(rule: str, text: str) -> list[str]:
    hits = (RULES | CANDIDATES)[rule].hits(text)
    for hit in hits:
        assert hit.rule == rule and hit.technique == (RULES | CANDIDATES)[rule].technique
    return [text[h.start : h.end] for h in hits]


@pytest.mark.parametrize(
    ("rule", "text", "expected"),
    [
        # Loaded_Language: words of the shipped lexicon, whole words only, any case.
        ("loaded_lexicon", "The council's ridiculous plan was a sham.", ["ridiculous", "sham"]),
        ("loaded_lexicon", "Nonsense, she said.", ["Nonsense"]),
        ("loaded_lexicon", "The shampoo was ridiculously cheap.", []),
        # Slogans: known slogans, only when written as slogans.
        ("slogan_known", 'The crowd chanted "Build the Wall" for an hour.', ["Build the Wall"]),
        ("slogan_known", "He wore a MAGA cap to the rally.", ["MAGA"]),
        ("slogan_known", "Enough is enough! We march tomorrow.", ["Enough is enough"]),
        ("slogan_known", "The mayor promised to drain the swamp behind the mall.", []),
        ("slogan_known", "We have had enough is enough of a debate.", []),
        ("slogan_known", "Firms put America first in the queue.", []),
        # Slogans: chant forms.
        (
            "slogan_pattern",
            "Protesters shouted “Death to the Tyrant” outside.",
            ["Death to the Tyrant"],
        ),
        ("slogan_pattern", "Long live the Republic, he wrote.", ["Long live the Republic"]),
        ("slogan_pattern", 'Its "Portugal First" policy won votes.', ["Portugal First"]),
        (
            "slogan_pattern",
            "They launched a ‘Stop Tolls’ campaign and #StopTheTolls.",
            ["Stop Tolls", "#StopTheTolls"],
        ),
        ("slogan_pattern", "The patient was near death to the doctors' dismay.", []),
        ("slogan_pattern", "Portugal First won the cup in 2016.", []),
        ("slogan_pattern", "They asked him to stop the car.", []),
        # Conversation_Killer: stock phrases that close a debate.
        ("conversation_killer", "We won the vote. End of story.", ["End of story"]),
        ("conversation_killer", "Taxes will rise. Period. Move along.", ["Period"]),
        ("conversation_killer", "Prices went up, and it is what it is.", ["it is what it is"]),
        ("conversation_killer", "If the court rules against us, so be it.", ["so be it"]),
        ("conversation_killer", "There's nothing to discuss here.", ["There's nothing to discuss"]),
        (
            "conversation_killer",
            "Nobody came. That tells you everything.",
            ["That tells you everything"],
        ),
        ("conversation_killer", "The story ends in the period after the war.", []),
        ("conversation_killer", "There is nothing to eat at home.", []),
        ("conversation_killer", "What it is matters less than who built it.", []),
        # Appeal_to_Time (absent from the training data).
        ("time_urgency", "It is now or never for the climate bill.", ["now or never"]),
        ("time_urgency", "Time is running out for the hostages.", ["Time is running out"]),
        ("time_urgency", "Sign the petition before it's too late.", ["before it's too late"]),
        ("time_urgency", "The clock is ticking on the deal.", ["The clock is ticking"]),
        ("time_urgency", "The clock on the tower is broken and time runs slow.", []),
        ("time_has_come", "The time has come to end this war.", ["The time has come to"]),
        ("time_has_come", "It is high time that Congress acted.", ["It is high time that"]),
        ("time_has_come", "It’s time for a change.", ["It’s time for"]),
        ("time_has_come", "At the time, nobody cared. Its time has come and gone.", []),
        # Consequential_Oversimplification, slippery slope (absent from the training data).
        ("slippery_slope", "Legalising this is a slippery slope.", ["slippery slope"]),
        (
            "slippery_slope",
            "Ban one book and the next thing you know, libraries close.",
            ["the next thing you know"],
        ),
        (
            "slippery_slope",
            "The levy will inevitably lead to mass layoffs.",
            ["will inevitably lead"],
        ),
        (
            "slippery_slope",
            "It opens the door to surveillance, and then to censorship.",
            ["opens the door to surveillance, and then"],
        ),
        (
            "slippery_slope",
            "If we allow this merger, soon every bank will be one bank.",
            ["If we allow this merger, soon every bank will"],
        ),
        ("slippery_slope", "The new law opens the door to talks with the unions.", []),
        ("slippery_slope", "The skiers avoided the slippery path down the slope.", []),
        # Appeal_to_Values (absent from the training data).
        ("values_appeal", "This bill betrays our values.", ["betrays our values"]),
        (
            "values_appeal",
            "We must defend our democratic principles.",
            ["defend our democratic principles"],
        ),
        (
            "values_appeal",
            "Such views run counter to our shared values.",
            ["run counter to our shared values"],
        ),
        ("values_appeal", "Helping them is simply the right thing to do.", []),
        (
            "values_appeal",
            "Helping them? It is the right thing to do.",
            ["It is the right thing to do"],
        ),
        ("values_appeal", "The survey asked about our values and hobbies.", []),
        ("values_appeal", "Rising rates protect the value of our savings.", []),
        # Questioning_the_Reputation (absent from the training data).
        (
            "reputation_attack",
            "The senator has a long history of lying to voters.",
            ["has a long history of lying"],
        ),
        ("reputation_attack", "The pastor has a sordid past of scams.", ["has a sordid past of"]),
        ("reputation_attack", "Its director has a record of fraud.", ["has a record of fraud"]),
        (
            "reputation_attack",
            "He is a serial liar, and his party has no integrity.",
            ["serial liar", "has no integrity"],
        ),
        ("reputation_attack", "The club has a long history of winning cups.", []),
        ("reputation_attack", "The country has a long track record with measles.", []),
        ("reputation_attack", "The firm has a record of growth.", []),
    ],
)
def test_rule(rule: str, text: str, expected: list[str]) -> None:
    assert phrases(rule, text) == expected


def test_values_appeal_right_thing_after_a_pronoun_only() -> None:
    # "is simply the right thing to do" after a noun phrase subject is not matched: only the
    # bare "this/that/it is the right thing to do" formula is.
    assert phrases("values_appeal", "That is simply the right thing to do.") == [
        "That is simply the right thing to do"
    ]


@pytest.mark.parametrize(
    ("rule", "text", "expected"),
    [
        ("repetition_phrase", "Illegal aliens came. Then illegal aliens left.", ["illegal aliens"]),
        ("repetition_phrase", "Jens Stoltenberg spoke. Jens Stoltenberg left.", []),
        (
            "repetition_epizeuxis",
            "They have been waiting and waiting for it.",
            ["waiting and waiting"],
        ),
        ("so_called", "the so-called experts disagreed", ["so-called experts disagreed"]),
        ("scare_quotes", "He called it the “reform” of the year.", ["“reform”"]),
        (
            "whataboutism_cue",
            "What about the other side's crimes?",
            ["What about the other side's crimes?"],
        ),
        ("slogan_hashtag", "Join us at #SaveTheBay.", ["#SaveTheBay"]),
        ("slogan_caps", "They chanted SAVE OUR BAY! all night.", ["SAVE OUR BAY!"]),
    ],
)
def test_dropped_candidates_still_do_what_they_say(
    rule: str, text: str, expected: list[str]
) -> None:
    """The dropped rules stay in the module so the benchmark can show their figures; they must
    keep matching what their description says."""
    assert phrases(rule, text) == expected


def test_find_offsets_sorted_and_from_kept_rules_only() -> None:
    text = (
        "Title line\n\n"
        "The minister's plan is a sham. Time is running out, and it is what it is.\n"
        "Critics say the bill betrays our values, and the so-called experts shouted “Death to "
        "the Tyrant”. Taxes, taxes, taxes: it is a slippery slope.\n"
    )
    hits = find(text)
    assert all(isinstance(h, RuleHit) for h in hits)
    assert hits == sorted(hits, key=lambda h: (h.start, h.end, h.technique, h.rule))
    found = [(h.rule, text[h.start : h.end]) for h in hits]
    assert found == [
        ("loaded_lexicon", "sham"),
        ("time_urgency", "Time is running out"),
        ("conversation_killer", "it is what it is"),
        ("values_appeal", "betrays our values"),
        ("slogan_pattern", "Death to the Tyrant"),
        ("slippery_slope", "slippery slope"),
    ]
    for hit in hits:
        rule = RULES[hit.rule]
        assert hit.technique == rule.technique and hit.score == rule.score


def test_find_keeps_one_hit_per_span_and_technique() -> None:
    # A quoted "America First" is both a known slogan and a chant form: one hit, the better rule.
    text = 'They cheered "America First" loudly.'
    hits = find(text)
    assert [(h.rule, text[h.start : h.end]) for h in hits] == [("slogan_pattern", "America First")]


def test_rule_table() -> None:
    assert set(RULES).isdisjoint(CANDIDATES)
    for rule_id, rule in (RULES | CANDIDATES).items():
        assert rule.id == rule_id
        assert rule.technique in TECHNIQUES
        assert 0.0 <= rule.score <= 1.0 and rule.description
        assert rule.measured or rule.score == PRIOR
    for rule in CANDIDATES.values():
        assert rule.measured and rule.score < 0.5
    absent = {
        "Appeal_to_Time",
        "Consequential_Oversimplification",
        "Appeal_to_Values",
        "Questioning_the_Reputation",
    }
    for rule in RULES.values():
        assert rule.measured == (rule.technique not in absent)
        # Kept: right at least half the time, or (affect_adjective, for words training never
        # shows) raising both span F1s of the layer (benchmarks/technique_rules_f1.py).
        assert rule.measured is False or rule.score >= 0.5 or rule.id == "affect_adjective"


def test_nato_example_rule_hits(shared_data: Path) -> None:
    """The RT article's persuasion is in its wording ("slaughtering", "sacrificing countless
    Ukrainian lives", "ritual victims"): none of those words is frequent enough in the training
    gold to enter the lexicon, and the article has no slogan, stock phrase, or cue of the four
    absent techniques. That is the tagger's job; the rules must not invent findings. The
    exceptions are the affect adjectives "its much-touted counteroffensive" (issue 17: by the
    compound's head, "touted") and "the ill-fated counteroffensive", words training never
    shows; not "lost territories" or "forces seemingly unable to" (plain description)."""
    text = (shared_data.parent / "examples" / "nato-peskov-rt.txt").read_text(encoding="utf-8")
    hits = find(text, load_nlp()(text))
    assert [(h.rule, text[h.start : h.end]) for h in hits] == [
        ("affect_adjective", "much-touted"),
        ("affect_adjective", "ill-fated"),
    ]
    assert find(text) == []  # without the parse, the syntax rule finds nothing


def test_shipped_lexicon() -> None:
    words = shipped_lexicon()
    assert 50 <= len(words) <= 500
    assert {"nonsense", "sham", "ridiculous"} <= words
    assert all(w == w.lower() and " " not in w for w in words)


def test_affect_adjective_before_a_noun_only() -> None:
    rule = RULES["affect_adjective"]
    nlp = load_nlp()
    text = "The ill-fated offensive ended in a disastrous retreat. The plan was disastrous."
    assert [text[h.start : h.end] for h in rule.hits(text, nlp(text))] == [
        "ill-fated",
        "disastrous",
    ]
    text = "Forces seemingly unable to reclaim lost territories waited."
    assert rule.hits(text, nlp(text)) == []


def test_affect_adjective_compounds_match_by_their_head_after_an_adverb_of_degree() -> None:
    """ "touted" is a strongly negative AFINN word, "much-touted" a compound no list holds: an
    adverb of degree before an affect word keeps its load. A noun or an adverb of time first
    makes the compound descriptive."""
    rule = RULES["affect_adjective"]
    nlp = load_nlp()
    for text, found in [
        ("Its much-touted counteroffensive failed.", ["much-touted"]),
        ("The anti-war protests grew in a war-torn country.", []),
        ("Members of the now-defunct commission spoke.", []),
    ]:
        assert [text[h.start : h.end] for h in rule.hits(text, nlp(text))] == found, text


def test_shipped_affect_lexicon() -> None:
    words = shipped_affect_lexicon()
    assert 1000 <= len(words) <= 3000
    assert {"ill-fated", "disastrous"} <= words
    assert "good" not in words  # positive words are not in it


def _techniques_dir(root: Path, articles: dict[str, tuple[str, list[tuple[int, int]]]]) -> Path:
    (root / "articles").mkdir(parents=True)
    (root / "spans").mkdir()
    for aid, (text, spans) in articles.items():
        (root / "articles" / f"article{aid}.txt").write_text(text, encoding="utf-8")
        lines = "".join(f"{aid}\tLoaded_Language\t{s}\t{e}\n" for s, e in spans)
        (root / "spans" / f"article{aid}-labels-subtask-3.txt").write_text(lines, encoding="utf-8")
    return root


def test_build_loaded_lexicon_learns_from_training_articles_only(tmp_path: Path) -> None:
    train_a, train_b, train_c, held = "1", "3", "4", "2"
    assert not any(map(is_validation, (train_a, train_b, train_c))) and is_validation(held)
    text = "A vile plan. A vile deal. A vile plan."  # "vile" at 2, 15 and 28
    loaded = [(2, 6), (15, 19), (28, 32)]
    data = _techniques_dir(
        tmp_path / "techniques",
        {
            train_a: (text, loaded[:2]),  # 2 of 3 occurrences inside gold
            train_b: (text, loaded[:1]),  # 1 of 3
            train_c: ("A plan.", []),
            # A validation article that would add "deal" if it were read.
            held: ("deal deal deal deal", [(0, 4), (5, 9), (10, 14), (15, 19)]),
        },
    )
    lexicon = build_loaded_lexicon(data)
    assert lexicon == {"vile": (3, 6)}
    assert build_loaded_lexicon(data, min_rate=0.6) == {}
    assert build_loaded_lexicon(data, article_ids=[train_a]) == {}  # one article is not enough
    assert build_loaded_lexicon(data, article_ids=[train_a], min_articles=1, min_hits=2) == {
        "vile": (2, 3)
    }
    with pytest.raises(DataError, match="validation"):
        build_loaded_lexicon(data, article_ids=[train_a, held])
    path = tmp_path / "lexicon.txt"
    write_loaded_lexicon(path, lexicon, "a test directory")
    assert read_loaded_lexicon(path) == {"vile"}


def test_build_affect_lexicon_drops_words_training_shows_plain(tmp_path: Path) -> None:
    train_a, train_b, held = "1", "3", "2"
    assert not any(map(is_validation, (train_a, train_b))) and is_validation(held)
    text = "A vile plan. A grim day."  # "vile" at 2, "grim" at 15
    data = _techniques_dir(
        tmp_path / "techniques",
        {train_a: (text, [(2, 6)]), train_b: (text, []), held: (text, [(15, 19)])},
    )
    gold = read_techniques_dir(data)
    nlp = load_nlp()
    docs = {aid: nlp(gold.texts[aid]) for aid in (train_a, train_b)}
    valences = {"vile": -3, "grim": -2, "ill-fated": -2, "bad": -1, "nice": 3}
    lexicon = build_affect_lexicon(gold, docs, valences)
    # "vile": inside gold once in two uses, kept; "grim": used twice, never inside, left out;
    # "ill-fated": never seen, kept; "bad" and "nice" are not negative enough.
    assert lexicon == {"ill-fated": (-2, 0, 0), "vile": (-3, 1, 2)}
    with pytest.raises(DataError, match="validation"):
        build_affect_lexicon(gold, {**docs, held: nlp(gold.texts[held])}, valences)
    path = tmp_path / "affect.txt"
    write_affect_lexicon(path, lexicon, "a test directory")
    assert read_loaded_lexicon(path) == {"ill-fated", "vile"}
    assert "Open Database License" in path.read_text(encoding="utf-8")
    hits = affect_matcher(read_loaded_lexicon(path))(text, nlp(text))
    assert [text[s:e] for s, e in hits] == ["vile"]
