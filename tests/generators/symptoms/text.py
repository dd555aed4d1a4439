"""Failure patterns and the symptom texts technicians write about them, generated for tests and benchmarks.

A pattern is a failure mode of a component under a condition (the battery drains fast in the cold),
sometimes with a telltale detail (a burning smell), on some product models. Engineers describe it
formally; technicians write what they see in their own words: synonyms, abbreviations, typos, the
condition first or last, words about the customer or the bench around it. ``pattern_specs`` draws a
catalogue of patterns, ``technician_text`` one technician's note about a unit that has one.

Every phrase list is split: the first three quarters of each list are the *shared* vocabulary, the
rest *novel* phrasings, so a benchmark can learn from history written with one and test on notes
written with the other. Everything is driven by a ``random.Random``: the same seed gives the same data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tests.generators.symptoms.components_io import RADIO_AUDIO_AND_BUTTONS
from tests.generators.symptoms.components_power import POWER_AND_DISPLAY
from tests.generators.symptoms.conditions import GENERIC_CONDITIONS

# component code → name, failure modes, conditions it shows under, telltale details (in this order: the
# generators draw from it with a seeded random, so the order is part of what a seed gives).
COMPONENTS: dict[str, dict] = {**POWER_AND_DISPLAY, **RADIO_AUDIO_AND_BUTTONS}

TECH_PREFIXES = [
    "cust reports",
    "customer says",
    "per customer:",
    "reported:",
    "user complains",
    "as described by cust:",
    "tested on bench:",
    "confirmed:",
    "issue:",
    "fault:",
    "customer states",
    "owner says",
]
TECH_SUFFIXES = [
    "confirmed on bench",
    "reproduced",
    "reproduced 2 of 3 times",
    "no physical damage",
    "no liquid damage",
    "unit clean inside",
    "checked with known good charger",
    "tested w/ diag tool",
    "cust very unhappy",
    "second time this happened",
    "see photos",
    "intermittent",
    "not reproducible every time",
    "fault confirmed",
    "factory reset did not help",
    "happens daily",
]
CONNECTORS = [" ", ", ", " - ", "; ", " especially ", " mainly ", " mostly "]
ABBREVIATIONS = {
    "battery": ["batt", "bat"],
    "doesn't": ["doesnt", "dsnt"],
    "does not": ["doesnt", "does'nt"],
    "won't": ["wont"],
    "can't": ["cant"],
    "cannot": ["cant", "can not"],
    "screen": ["scrn"],
    "customer": ["cust"],
    "temperature": ["temp"],
    "with": ["w/"],
    "without": ["w/o"],
    "update": ["upd"],
    "firmware": ["fw"],
    "percent": ["%", "pct"],
    "minutes": ["min", "mins"],
    "hours": ["hrs", "h"],
    "power": ["pwr"],
    "connection": ["conn"],
    "charger": ["chgr"],
    "charging": ["chrg", "chg"],
    "microphone": ["mic"],
    "speaker": ["spkr"],
    "bluetooth": ["BT"],
    "wifi": ["wi-fi", "WiFi"],
    "display": ["disp"],
    "camera": ["cam"],
    "because": ["bc", "coz"],
    "phone": ["ph", "handset"],
    "very": ["v", "v."],
    "after": ["aftr"],
    "degrees": ["deg", "°"],
    "notifications": ["notifs"],
}
KEYBOARD_NEIGHBOURS = {
    "a": "qsz", "b": "vgn", "c": "xdv", "d": "sfe", "e": "wrd", "f": "dgr", "g": "fht", "h": "gjy",
    "i": "uok", "j": "hku", "k": "jli", "l": "kop", "m": "nj", "n": "bmh", "o": "ipl", "p": "ol",
    "q": "wa", "r": "etf", "s": "adw", "t": "ryg", "u": "yij", "v": "cbf", "w": "qes", "x": "zcs",
    "y": "tuh", "z": "xa",
}  # fmt: skip


@dataclass(frozen=True)
class PatternSpec:
    """One generated failure pattern: what it is, in engineers' words, and on which models."""

    code: str
    component: str
    mode: str
    condition: str
    detail: str  # "" when the pattern has no telltale detail
    models: tuple[str, ...]
    title: str
    symptoms: str
    weight: float = 1.0  # how often it occurs relative to the others


@dataclass
class TextStyle:
    """How messy a technician's note is."""

    typo_rate: float = 0.07  # per word of four letters or more
    abbreviation_rate: float = 0.3  # per word that has a common abbreviation
    prefix_rate: float = 0.35
    suffix_rate: float = 0.4
    condition_rate: float = 0.9  # how often the circumstances are written down
    detail_rate: float = 0.55  # how often a pattern's telltale detail is noticed
    upper_rate: float = 0.05
    vocabulary: str = "all"  # "shared", "novel" or "all": which part of each phrase list
    extra: dict = field(default_factory=dict)


def _split(phrases: list[str], vocabulary: str) -> list[str]:
    cut = max(1, (len(phrases) * 3) // 4)
    if vocabulary == "shared":
        return phrases[:cut]
    if vocabulary == "novel":
        return phrases[cut:] or phrases
    return phrases


def _mode(component: str, key: str) -> tuple[str, str, str, list[str]]:
    key, formal, title, phrasings = next(mode for mode in COMPONENTS[component]["modes"] if mode[0] == key)
    return key, formal, title, phrasings.split("|")


def _condition(key: str) -> tuple[str, str, list[str]]:
    formal, title, phrasings = GENERIC_CONDITIONS[key]
    return formal, title, phrasings.split("|")


def _detail(component: str, key: str) -> tuple[str, str, list[str]]:
    key, formal, phrasings = next(detail for detail in COMPONENTS[component]["details"] if detail[0] == key)
    return key, formal, phrasings.split("|")


def pattern_specs(
    *, count: int, models: list[str], rng: random.Random, components: list[str] | None = None
) -> list[PatternSpec]:
    """``count`` distinct patterns spread over the components, each on one to three of ``models``.

    The same mode and condition may be two patterns on different models (a display flicker in the
    cold on the phones and another on the tablets), told apart by model and often by a detail.
    Weights follow a long tail: a few patterns are common, most are rare.
    """
    components = components or list(COMPONENTS)
    combos: list[tuple[str, str, str]] = []
    for component in components:
        spec = COMPONENTS[component]
        for mode in spec["modes"]:
            for condition in spec["conditions"]:
                combos.append((component, mode[0], condition))
    rng.shuffle(combos)
    specs: list[PatternSpec] = []
    used: dict[tuple[str, str, str], set[str]] = {}
    index = 0
    while len(specs) < count:
        component, mode_key, condition_key = combos[index % len(combos)]
        index += 1
        taken = used.setdefault((component, mode_key, condition_key), set())
        free = [model for model in models if model not in taken]
        if not free:
            if index > len(combos) * (len(models) + 1):
                break  # the vocabulary cannot hold that many distinct patterns
            continue
        chosen = tuple(sorted(rng.sample(free, k=min(len(free), rng.choice([1, 1, 2, 2, 3])))))
        taken.update(chosen)
        details = COMPONENTS[component]["details"]
        detail_key = rng.choice(details)[0] if rng.random() < 0.6 else ""
        _, mode_formal, mode_title, _ = _mode(component, mode_key)
        condition_formal, condition_title, _ = _condition(condition_key)
        detail_formal = _detail(component, detail_key)[1] if detail_key else ""
        number = len(specs) + 1
        symptoms = f"{mode_formal} {condition_formal}" + (f", {detail_formal}" if detail_formal else "") + "."
        specs.append(
            PatternSpec(
                code=f"FP-{number:04d}",
                component=component,
                mode=mode_key,
                condition=condition_key,
                detail=detail_key,
                models=chosen,
                title=f"{mode_title} {condition_title}",
                symptoms=symptoms[0].upper() + symptoms[1:],
                weight=1.0 / (1 + (number - 1) % 97) ** 0.8,
            )
        )
    weights = [spec.weight for spec in specs]
    rng.shuffle(weights)  # the common ones are spread over the components
    return [PatternSpec(**{**spec.__dict__, "weight": weight}) for spec, weight in zip(specs, weights, strict=True)]


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.3:
        return word[:i] + word[i + 1 :]  # dropped letter
    if kind < 0.55:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swapped letters
    if kind < 0.75:
        return word[:i] + word[i] + word[i:]  # doubled letter
    near = KEYBOARD_NEIGHBOURS.get(word[i].lower(), "")
    return word[:i] + (rng.choice(near) if near else word[i]) + word[i + 1 :]  # neighbouring key


def _abbreviate(text: str, rng: random.Random, rate: float) -> str:
    for long, shorts in ABBREVIATIONS.items():
        if long in text and rng.random() < rate:
            text = text.replace(long, rng.choice(shorts), 1)
    return text


def technician_text(spec: PatternSpec, rng: random.Random, style: TextStyle | None = None) -> str:
    """A technician's note about a unit failing with ``spec``: the same facts, in messy everyday words."""
    style = style or TextStyle()
    mode_phrases = _split(_mode(spec.component, spec.mode)[3], style.vocabulary)
    condition_phrases = _split(_condition(spec.condition)[2], style.vocabulary)
    parts = [rng.choice(mode_phrases)]
    if rng.random() < style.condition_rate:
        condition = rng.choice(condition_phrases)
        if rng.random() < 0.3:
            parts.insert(0, condition)
        else:
            parts.append(condition)
    if spec.detail and rng.random() < style.detail_rate:
        parts.append(rng.choice(_split(_detail(spec.component, spec.detail)[2], style.vocabulary)))
    text = parts[0]
    for part in parts[1:]:
        text += rng.choice(CONNECTORS) + part
    if rng.random() < style.prefix_rate:
        text = f"{rng.choice(TECH_PREFIXES)} {text}"
    if rng.random() < style.suffix_rate:
        text = f"{text}{rng.choice(['. ', ', ', ' - '])}{rng.choice(TECH_SUFFIXES)}"
    text = _abbreviate(text, rng, style.abbreviation_rate)
    words = [(_typo(word, rng) if rng.random() < style.typo_rate else word) for word in text.split(" ")]
    text = " ".join(words)
    if rng.random() < style.upper_rate:
        text = text.upper()
    elif rng.random() < 0.5:
        text = text[0].upper() + text[1:]
    return text


def customer_text(spec: PatternSpec, rng: random.Random) -> str:
    """What a customer types on the return form: vaguer, rarely the circumstances."""
    mode = rng.choice(_mode(spec.component, spec.mode)[3])
    opener = rng.choice(["My phone", "The device", "It", "My unit", "Since last week it"])
    text = f"{opener}: {mode}"
    if rng.random() < 0.5:
        text += " " + rng.choice(_condition(spec.condition)[2])
    return text + rng.choice([".", "!", ". Please help.", ". Very disappointed."])


def weighted_choice(specs: list[PatternSpec], rng: random.Random) -> PatternSpec:
    return rng.choices(specs, weights=[spec.weight for spec in specs], k=1)[0]
