"""The 23 persuasion techniques of SemEval-2023 Task 3, their six groups and definitions.

Definitions are short paraphrases of the task's annotation guidelines, written for readers of
spinscope's reports. `TECHNIQUES` is in alphabetical order, as the task's scorers list them.

Four techniques never occur in the English training data (Appeal_to_Values,
Consequential_Oversimplification, Appeal_to_Time, Questioning_the_Reputation): the learned tagger
cannot find them, and narrow named rules in `layers/technique_rules.py` cover their explicit
formulas only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TechniqueInfo:
    name: str
    group: str
    definition: str


_ATTACK = "Attack on reputation"
_JUSTIFICATION = "Justification"
_DISTRACTION = "Distraction"
_SIMPLIFICATION = "Simplification"
_CALL = "Call"
_WORDING = "Manipulative wording"

_ALL = [
    TechniqueInfo(
        "Appeal_to_Authority",
        _JUSTIFICATION,
        "Presents a claim as true because an authority or expert says so, without other evidence.",
    ),
    TechniqueInfo(
        "Appeal_to_Fear-Prejudice",
        _JUSTIFICATION,
        "Seeks support for an idea by stoking fear of, or prejudice against, an alternative.",
    ),
    TechniqueInfo(
        "Appeal_to_Hypocrisy",
        _ATTACK,
        "Attacks a target's reputation by charging it with hypocrisy or inconsistency (tu quoque).",
    ),
    TechniqueInfo(
        "Appeal_to_Popularity",
        _JUSTIFICATION,
        "Claims something is right because 'everybody' or a large group agrees with it.",
    ),
    TechniqueInfo(
        "Appeal_to_Time",
        _CALL,
        "Argues that the time has come for an action: now or never, before it is too late.",
    ),
    TechniqueInfo(
        "Appeal_to_Values",
        _JUSTIFICATION,
        "Ties an idea to values the audience holds dear (freedom, democracy, tradition) "
        "to justify it.",
    ),
    TechniqueInfo(
        "Causal_Oversimplification",
        _SIMPLIFICATION,
        "Assumes a single cause or reason for an issue that has many.",
    ),
    TechniqueInfo(
        "Consequential_Oversimplification",
        _SIMPLIFICATION,
        "Claims that a first step will lead to a chain of, usually dire, consequences "
        "(slippery slope).",
    ),
    TechniqueInfo(
        "Conversation_Killer",
        _CALL,
        "Words that discourage critical thought and debate ('end of story', 'it is what it is').",
    ),
    TechniqueInfo(
        "Doubt",
        _ATTACK,
        "Questions the credibility of someone or something, without proof.",
    ),
    TechniqueInfo(
        "Exaggeration-Minimisation",
        _WORDING,
        "Represents something as much bigger, better or worse, or much smaller, than it is.",
    ),
    TechniqueInfo(
        "False_Dilemma-No_Choice",
        _SIMPLIFICATION,
        "Presents two options as the only ones possible when more exist, or one as the only "
        "choice.",
    ),
    TechniqueInfo(
        "Flag_Waving",
        _JUSTIFICATION,
        "Justifies an idea by appealing to the pride or interest of a group (nation, party, "
        "faith).",
    ),
    TechniqueInfo(
        "Guilt_by_Association",
        _ATTACK,
        "Attacks a target by associating it with a group or figure the audience already condemns.",
    ),
    TechniqueInfo(
        "Loaded_Language",
        _WORDING,
        "Words or phrases with strong emotional connotations, used to sway the reader.",
    ),
    TechniqueInfo(
        "Name_Calling-Labeling",
        _ATTACK,
        "Labels the target with words the audience fears, hates or finds undesirable "
        "(or, less often, admires).",
    ),
    TechniqueInfo(
        "Obfuscation-Vagueness-Confusion",
        _WORDING,
        "Uses deliberately unclear words, so the audience may read its own meaning into them.",
    ),
    TechniqueInfo(
        "Questioning_the_Reputation",
        _ATTACK,
        "Attacks the target's character or moral standing rather than its argument.",
    ),
    TechniqueInfo(
        "Red_Herring",
        _DISTRACTION,
        "Introduces an irrelevant topic to divert attention from the point at issue.",
    ),
    TechniqueInfo(
        "Repetition",
        _WORDING,
        "Repeats the same word, phrase or idea so the audience comes to accept it.",
    ),
    TechniqueInfo(
        "Slogans",
        _CALL,
        "A brief, striking phrase, often with labelling and stereotyping, used as a rallying cry.",
    ),
    TechniqueInfo(
        "Straw_Man",
        _DISTRACTION,
        "Refutes a distorted or simplified version of the opponent's position instead of "
        "the real one.",
    ),
    TechniqueInfo(
        "Whataboutism",
        _DISTRACTION,
        "Deflects criticism by pointing to the opponent's alleged wrongdoing instead of "
        "answering it.",
    ),
]

#: Technique name → information, alphabetically.
TECHNIQUES: dict[str, TechniqueInfo] = {info.name: info for info in _ALL}

#: The six groups, in the order the task lists them.
GROUPS: tuple[str, ...] = (_ATTACK, _JUSTIFICATION, _DISTRACTION, _SIMPLIFICATION, _CALL, _WORDING)


def technique(name: str) -> TechniqueInfo:
    """The information on one technique; a clear error for a name that is not one."""
    try:
        return TECHNIQUES[name]
    except KeyError:
        raise KeyError(f"unknown persuasion technique {name!r}") from None
