"""The label sets spinscope reports in: the 23 persuasion techniques of SemEval-2023 Task 3
(their six groups and definitions), its genres and 14 frames, and the entity roles and
narratives of SemEval-2025 Task 10.

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


# --- Entity roles (SemEval-2025 Task 10, subtask 1) -------------------------------------------

#: Main role → its fine roles, in the task's order.
ROLES: dict[str, tuple[str, ...]] = {
    "Protagonist": ("Guardian", "Martyr", "Peacemaker", "Rebel", "Underdog", "Virtuous"),
    "Antagonist": (
        "Instigator",
        "Conspirator",
        "Tyrant",
        "Foreign Adversary",
        "Traitor",
        "Spy",
        "Saboteur",
        "Corrupt",
        "Incompetent",
        "Terrorist",
        "Deceiver",
        "Bigot",
    ),
    "Innocent": ("Forgotten", "Exploited", "Victim", "Scapegoat"),
}

#: Fine role → its main role.
FINE_ROLES: dict[str, str] = {fine: main for main, fines in ROLES.items() for fine in fines}


# --- Narratives (SemEval-2025 Task 10, subtask 2) ---------------------------------------------

#: The label of an article that carries none of the taxonomy's narratives.
OTHER = "Other"

#: Narrative → its sub-narratives, for the Ukraine–Russia war ("URW: …") and climate change
#: ("CC: …"). A sub-narrative's full label is "<narrative>: <sub-narrative>", as in the task's
#: files; "Other" under a narrative means the narrative without one of its specific forms.
NARRATIVES: dict[str, tuple[str, ...]] = {
    "CC: Amplifying Climate Fears": (
        "Amplifying existing fears of global warming",
        "Doomsday scenarios for humans",
        "Earth will be uninhabitable soon",
        "Other",
        "Whatever we do it is already too late",
    ),
    "CC: Climate change is beneficial": ("CO2 is beneficial",),
    "CC: Controversy about green technologies": (
        "Other",
        "Renewable energy is costly",
        "Renewable energy is dangerous",
        "Renewable energy is unreliable",
    ),
    "CC: Criticism of climate movement": (
        "Ad hominem attacks on key activists",
        "Climate movement is alarmist",
        "Climate movement is corrupt",
        "Other",
    ),
    "CC: Criticism of climate policies": (
        "Climate policies are ineffective",
        "Climate policies are only for profit",
        "Climate policies have negative impact on the economy",
        "Other",
    ),
    "CC: Criticism of institutions and authorities": (
        "Criticism of international entities",
        "Criticism of national governments",
        "Criticism of political organizations and figures",
        "Criticism of the EU",
        "Other",
    ),
    "CC: Downplaying climate change": (
        "CO2 concentrations are too small to have an impact",
        "Climate cycles are natural",
        "Human activities do not impact climate change",
        "Humans and nature will adapt to the changes",
        "Ice is not melting",
        "Other",
        "Temperature increase does not have significant impact",
        "Weather suggests the trend is global cooling",
    ),
    "CC: Green policies are geopolitical instruments": (
        "Green activities are a form of neo-colonialism",
        "Other",
    ),
    "CC: Hidden plots by secret schemes of powerful groups": (
        "Blaming global elites",
        "Climate agenda has hidden motives",
        "Other",
    ),
    "CC: Questioning the measurements and science": (
        "Data shows no temperature increase",
        "Greenhouse effect/carbon dioxide do not drive climate change",
        "Methodologies/metrics used are unreliable/faulty",
        "Other",
        "Scientific community is unreliable",
    ),
    "URW: Amplifying war-related fears": (
        "By continuing the war we risk WWIII",
        "NATO should/will directly intervene",
        "Other",
        "Russia will also attack other countries",
        "There is a real possibility that nuclear weapons will be employed",
    ),
    "URW: Blaming the war on others rather than the invader": (
        "Other",
        "The West are the aggressors",
        "Ukraine is the aggressor",
    ),
    "URW: Discrediting Ukraine": (
        "Discrediting Ukrainian government and officials and policies",
        "Discrediting Ukrainian military",
        "Discrediting Ukrainian nation and society",
        "Other",
        "Rewriting Ukraine's history",
        "Situation in Ukraine is hopeless",
        "Ukraine is a hub for criminal activities",
        "Ukraine is a puppet of the West",
        "Ukraine is associated with nazism",
    ),
    "URW: Discrediting the West, Diplomacy": (
        "Diplomacy does/will not work",
        "Other",
        "The EU is divided",
        "The West does not care about Ukraine, only about its interests",
        "The West is overreacting",
        "The West is weak",
        "West is tired of Ukraine",
    ),
    "URW: Distrust towards Media": (
        "Other",
        "Ukrainian media cannot be trusted",
        "Western media is an instrument of propaganda",
    ),
    "URW: Hidden plots by secret schemes of powerful groups": ("Other",),
    "URW: Negative Consequences for the West": (
        "Other",
        "Sanctions imposed by Western countries will backfire",
        "The conflict will increase the Ukrainian refugee flows to Europe",
    ),
    "URW: Overpraising the West": (
        "NATO will destroy Russia",
        "Other",
        "The West belongs in the right side of history",
        "The West has the strongest international support",
    ),
    "URW: Praise of Russia": (
        "Other",
        "Praise of Russian President Vladimir Putin",
        "Praise of Russian military might",
        "Russia has international support from a number of countries and people",
        "Russia is a guarantor of peace and prosperity",
        "Russian invasion has strong national support",
    ),
    "URW: Russia is the Victim": (
        "Other",
        "Russia actions in Ukraine are only self-defence",
        "The West is russophobic",
        "UA is anti-RU extremists",
    ),
    "URW: Speculating war outcomes": (
        "Other",
        "Russian army is collapsing",
        "Russian army will lose all the occupied territories",
        "Ukrainian army is collapsing",
    ),
}


def subnarrative_label(narrative: str, subnarrative: str) -> str:
    """The task's full label of a sub-narrative: "URW: Praise of Russia: Praise of Putin"."""
    return f"{narrative}: {subnarrative}"


# --- Genre and frames (SemEval-2023 Task 3, subtasks 1 and 2) ---------------------------------

#: An article's genre.
GENRES: tuple[str, ...] = ("opinion", "reporting", "satire")

#: The 14 frames (Policy Frames Codebook), as the task's files name them.
FRAMES: tuple[str, ...] = (
    "Capacity_and_resources",
    "Crime_and_punishment",
    "Cultural_identity",
    "Economic",
    "External_regulation_and_reputation",
    "Fairness_and_equality",
    "Health_and_safety",
    "Legality_Constitutionality_and_jurisprudence",
    "Morality",
    "Policy_prescription_and_evaluation",
    "Political",
    "Public_opinion",
    "Quality_of_life",
    "Security_and_defense",
)


# --- Role definitions (SemEval-2025 Task 10, subtask 1), for the LLM backend's prompt ----------

#: Main and fine role → a one-line definition: short paraphrases of the task's annotation
#: guidelines, written for spinscope's prompts and reports.
ROLE_DEFINITIONS: dict[str, str] = {
    "Protagonist": "Cast in a positive light: a hero, a defender or a champion of a cause.",
    "Guardian": "Protects or defends a people, a group, a place or values against a threat.",
    "Martyr": "Suffers or risks loss of life, liberty or standing for a cause or belief.",
    "Peacemaker": "Works to end a conflict: mediates, negotiates, reconciles.",
    "Rebel": "Stands up against an oppressive power or the established order to change it.",
    "Underdog": "The weaker side, fighting on against a stronger opponent.",
    "Virtuous": "Shown as morally good: honest, generous, principled, admirable.",
    "Antagonist": "Cast in a negative light: a villain, a threat or the cause of harm.",
    "Instigator": "Starts or provokes a conflict, or stirs up violence or unrest.",
    "Conspirator": "Plots in secret, with others, to harm or to take control.",
    "Tyrant": "Rules or acts by oppression, abusing power over others.",
    "Foreign Adversary": "A foreign country or actor shown as hostile to a nation's interests.",
    "Traitor": "Betrays its own country, people, cause or allies.",
    "Spy": "Gathers information in secret, working covertly for another power.",
    "Saboteur": "Deliberately damages or undermines plans, systems, infrastructure or efforts.",
    "Corrupt": "Abuses a position for private gain: bribery, fraud, self-dealing.",
    "Incompetent": "Lacks the ability for its task; does harm through failure or ineptitude.",
    "Terrorist": "Uses violence or intimidation against civilians for political ends.",
    "Deceiver": "Lies or misleads: spreads falsehoods, propaganda or disinformation.",
    "Bigot": "Shows prejudice or hatred against a group of people.",
    "Innocent": "Cast as suffering harm that it did not cause: a victim of others or events.",
    "Forgotten": "Overlooked or neglected: its suffering or needs are ignored.",
    "Exploited": "Used or taken advantage of by others for their own gain.",
    "Victim": "Harmed by actions or circumstances beyond its control.",
    "Scapegoat": "Blamed unjustly for problems or wrongs it did not cause.",
}


def technique_label(name: str) -> str:
    """A technique's name for readers: `Name_Calling-Labeling` -> `Name Calling/Labeling`."""
    return name.replace("_", " ").replace("-", "/")
