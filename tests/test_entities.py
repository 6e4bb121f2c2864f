"""The entities layer: one entity per person, group or body with all its mentions, and the role
the article casts it in."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import spinscope
from spinscope.document import Analysis, Article, Entity
from spinscope.layers import Findings, resolve
from spinscope.layers.entities import (
    FINE_LABELS,
    MAIN_ROLES,
    cast_entities,
    decide_role,
    entity_of,
    entity_rows,
    role_model,
)
from spinscope.layers.entities import clusters as entity_clusters
from spinscope.layers.entities.mentions import Cluster, find_clusters
from spinscope.ml.calibration import CONFIDENT, Calibration
from spinscope.parse import load_nlp, parse
from spinscope.taxonomy import FINE_ROLES


def clusters(text: str) -> dict[str, list[str]]:
    """Entity name → the text of each of its mentions, as the layer finds them."""
    parsed = parse(Article(id="t", text=text), load_nlp())
    found: Findings = {}
    for layer in resolve(["quotes"]):
        found[layer.name] = layer.run(parsed, found)
    return {
        c.name: [text[s:e] for s, e in c.mentions]
        for c in find_clusters(parsed.doc, found["quotes"])
    }


def test_a_person_is_one_entity_across_name_surname_title_and_pronoun() -> None:
    found = clusters(
        "The alliance's Secretary General Jens Stoltenberg met reporters in Brussels on Monday. "
        "“We are not a threat to anyone,” the NATO secretary general said. He added that "
        "Stoltenberg's critics were wrong."
    )
    assert found["Jens Stoltenberg"] == [
        "Jens Stoltenberg",
        "the NATO secretary general",
        "He",
        "Stoltenberg",
    ]
    assert found["NATO"] == ["NATO"]


def test_a_nationality_is_a_group_but_not_as_an_adjective_of_someone_else() -> None:
    found = clusters(
        "Ukrainians have suffered for years. The war has cost countless Ukrainian lives, and the "
        "Ukrainian people want peace, Ukrainian President Volodymyr Zelensky said."
    )
    assert found["Ukrainians"] == ["Ukrainians", "Ukrainian lives", "the Ukrainian people"]
    assert found["Volodymyr Zelensky"] == ["Volodymyr Zelensky"]


def test_the_alliance_is_the_organisation_mentioned_most() -> None:
    found = clusters(
        "NATO foreign ministers met on Monday. The alliance will keep arming Kyiv, and the "
        "US-led bloc is ready to defend its members, the Kremlin said of the bloc."
    )
    assert found["NATO"] == ["NATO", "The alliance", "the US-led bloc", "the bloc"]
    assert found["Kremlin"] == ["Kremlin"]


def test_spellings_of_one_country_are_one_entity() -> None:
    found = clusters("The US and the United States of America are one country, as is the U.S.")
    assert found["US"] == ["US", "United States of America", "U.S."]


def test_a_capital_stands_for_its_country_where_the_article_names_it() -> None:
    found = clusters(
        "Russia rejected the plan on Monday. Moscow has also insisted that the talks in Moscow "
        "were pointless, Kremlin spokesman Dmitry Peskov said."
    )
    assert found["Russia"] == ["Russia", "Moscow", "Kremlin"]
    assert found["Moscow"] == ["Moscow"]  # "the talks in Moscow": the city
    # read as a person by the NER, and its country named after it
    found = clusters("Kiev said the talks had failed. Ukraine will not sign, its envoy said.")
    assert found["Ukraine"] == ["Kiev", "Ukraine"] and "Kiev" not in found


def test_an_organisation_is_named_with_its_country_s_possessive() -> None:
    found = clusters("As many as 103,000 troops were lost, according to Russia’s Defense Ministry.")
    assert found["Russia’s Defense Ministry"] == ["Defense Ministry"]


def test_a_given_mention_takes_its_cluster_or_else_its_words_elsewhere() -> None:
    text = "Gates spoke. Gates left. The WHO agreed."
    known = [Cluster("WHO", "organisation", [(32, 35)])]
    assert entity_of(known, (32, 35), text) == [(32, 35)]
    assert entity_of(known, (13, 18), text) == [(0, 5), (13, 18)]


def test_a_role_keeps_to_its_main_roles_fine_roles() -> None:
    main = np.asarray([0.2, 0.5, 0.3], dtype=np.float32)  # Antagonist most likely on its own
    fine = np.zeros(len(FINE_LABELS), dtype=np.float32)
    fine[FINE_LABELS.index("Victim")] = 0.9  # ... but the fine roles say Innocent
    fine[FINE_LABELS.index("Tyrant")] = 0.1
    role = decide_role(main, fine)
    assert (role.main, role.fine) == ("Innocent", ["Victim"])
    assert MAIN_ROLES == ("Protagonist", "Antagonist", "Innocent")
    assert all(FINE_ROLES[f] == role.main for f in role.fine)
    assert role.score is not None and 0 <= role.score <= 1


def test_a_role_shows_its_calibrated_score_and_is_uncertain_under_half(
    shared_data: Path,
) -> None:
    """An entity's role shows the main head's calibrated probability that it is right, marked
    uncertain under 0.5, and the entities table carries the mark."""
    shipped = role_model()
    assert shipped.main.calibration != Calibration()
    text = (shared_data.parent / "examples" / "nato-peskov-rt.txt").read_text(encoding="utf-8")
    parsed = parse(Article(id="nato", text=text), load_nlp())
    found: Findings = {}
    for layer in resolve(["quotes"]):
        found[layer.name] = layer.run(parsed, found)
    groups = entity_clusters(parsed, found)
    raw = dataclasses.replace(shipped, main=dataclasses.replace(shipped.main, meta={}))
    doubtful = Calibration(a=1.0, b=-3.0)  # every role's score well under 0.5
    model = dataclasses.replace(
        shipped, main=dataclasses.replace(shipped.main, meta={"calibration": doubtful.to_dict()})
    )
    before, after = (cast_entities(parsed, groups, m) for m in (raw, model))
    cast = [(b, a) for b, a in zip(before, after, strict=True) if a.role is not None]
    assert cast, "the article casts someone"
    for b, a in cast:
        assert b.role is not None and a.role is not None and b.role.score is not None
        assert (a.role.main, a.role.fine) == (b.role.main, b.role.fine)
        assert a.role.score == round(doubtful(b.role.score), 4) < CONFIDENT
        assert a.role.uncertain and b.role.uncertain == (b.role.score < CONFIDENT)
    rows = list(entity_rows(after))
    assert [row["uncertain"] for row in rows] == [e.role is not None for e in after]
    assert [row["role_score"] for row in rows] == [e.role.score if e.role else None for e in after]


def test_the_layer_fills_entities_with_valid_spans() -> None:
    sample = Path(spinscope.__file__).parent / "data" / "sample.txt"  # bundled, fictional
    analysis = spinscope.analyze(sample.read_text(encoding="utf-8"), layers=["entities"])
    assert analysis.entities, "the sample article names people and bodies"
    assert Analysis.from_json(analysis.to_json()) == analysis
    for entity in analysis.entities:
        assert entity.source.startswith("entities/")
        assert bool(entity.evidence) == (entity.role is not None)
        for span in entity.evidence:
            assert span in analysis.sentences


@pytest.fixture(scope="module")
def nato(shared_data: Path) -> dict[str, Entity]:
    text = (shared_data.parent / "examples" / "nato-peskov-rt.txt").read_text(encoding="utf-8")
    analysis = spinscope.analyze(text, layers=["entities"])
    return {entity.name: entity for entity in analysis.entities}


def test_nato_is_cast_as_antagonist(nato: dict[str, Entity]) -> None:
    role = nato["NATO"].role
    assert role is not None and role.main == "Antagonist"
    assert len(nato["NATO"].mentions) >= 6


def test_the_government_s_metonyms_are_its_country(nato: dict[str, Entity]) -> None:
    """Issue 17: "Kremlin", "Moscow" and "Russia" were three entities, "Kiev" and "Ukraine"
    two, and "Defense Ministry" lost "Russia’s"."""
    russia = {m.text for m in nato["Russia"].mentions}
    assert {"Russia", "Kremlin", "Moscow"} <= russia
    assert {"Kiev", "Ukraine"} <= {m.text for m in nato["Ukraine"].mentions}
    assert not {"Kremlin", "Moscow", "Kiev", "Defense Ministry"} & set(nato)
    assert "Russia’s Defense Ministry" in nato


def test_the_ukrainian_people_are_cast_as_innocent_victims(nato: dict[str, Entity]) -> None:
    people = nato["Ukrainians"]
    assert "the Ukrainian people" in [m.text for m in people.mentions]
    assert people.role is not None
    assert (people.role.main, people.role.fine) == ("Innocent", ["Victim"])
    assert any("Ukrainian" in span.text for span in people.evidence)
