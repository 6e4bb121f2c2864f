"""The reporting-cue lexicon: which words attribute content to a source, how each colours it,
and which complements carry the content.

Classes, for a reader judging the reporting:
    neutral    said, told, noted, reported           — reports without judging
    doubt      claimed, alleged, purported           — casts doubt on what follows
    assertive  insisted, stressed, argued, warned    — presents it as forceful or certain
    emotive    decried, slammed, accused, praised    — carries the speaker's (or writer's) feeling
    tentative  suggested, believed, hoped, expected  — a belief or an open suggestion
    stance     supported, opposed, wanted, called for — a position taken, not a statement
    other      denied, admitted, cited               — none of the above

Every verb takes a clause ("said that …"). A verb listed with `o` also reports its direct object
("decried NATO’s expansion"), with `x` its to-infinitive ("vowed to fight"), and with
`p:for,about` the object of those prepositions ("called for a ban", "talked about taxes").
"""

from __future__ import annotations

from dataclasses import dataclass

from spinscope.document import CueClass

_LEXICON: dict[CueClass, str] = {
    "neutral": """say tell state report add explain describe/o announce/o write comment/p:on
        mention/o remark reply respond answer testify tweet post recall/o continue note observe
        inform disclose/o reveal/o confirm/o acknowledge/o conclude find show indicate recount
        estimate/o ask/o/x/p:about quote discuss/o talk/p:about speak/p:about,of address/o""",
    "doubt": "claim/x allege purport/x contend",
    "assertive": """insist stress/o emphasize/o emphasise/o assert/o declare/o maintain/o
        argue/p:for,against point warn/x/p:about,of,against affirm vow/x pledge/o/x promise/o/x
        reiterate/o repeat/o assure underline/o underscore/o proclaim/o swear/x predict/o know""",
    "emotive": """decry/o slam/o blast/o denounce/o condemn/o criticize/o criticise/o attack/o
        accuse/o/p:of complain/p:about lament/o boast/p:about brag/p:about praise/o/p:for hail/o
        mock/o deride/o blame/o/p:for charge threaten/x scoff/p:at rail/p:against bemoan/o
        question/o applaud/o thank/o/p:for""",
    "tentative": """suggest/o believe think hope/x fear/o expect/o/x speculate guess hint imply
        feel worry/p:about wonder suspect consider/o""",
    "stance": """support/o endorse/o back/o oppose/o want/o/x plan/x refuse/x seek/o/x demand/o
        propose/o defend/o favor/o favour/o prefer/o urge/o/x recommend/o push/p:for
        vote/p:for,against agree/x/p:with,to decide/x intend/x""",
    "other": "deny/o admit/o concede/o disagree/p:with dispute/o reject/o cite/o call/p:for",
}


@dataclass(frozen=True)
class Cue:
    lemma: str
    cue_class: CueClass
    takes_object: bool
    takes_infinitive: bool
    prepositions: frozenset[str]


def _parse(lexicon: dict[CueClass, str]) -> dict[str, Cue]:
    cues = {}
    for cue_class, entries in lexicon.items():
        for entry in entries.split():
            lemma, *marks = entry.split("/")
            prepositions = next((m[2:].split(",") for m in marks if m.startswith("p:")), [])
            cues[lemma] = Cue(lemma, cue_class, "o" in marks, "x" in marks, frozenset(prepositions))
    return cues


#: Reporting verbs by lemma.
VERBS: dict[str, Cue] = _parse(_LEXICON)

#: Nouns that introduce a reported proposition with a that-clause ("Trump’s claim that …").
NOUNS = frozenset(
    """claim statement assertion allegation belief warning argument
    suggestion insistence contention view promise pledge prediction""".split()
)
