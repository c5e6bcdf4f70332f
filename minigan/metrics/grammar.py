"""An exact parser of the toy language (minigan/data/toy_language.py), and what it says about a sentence.

``check(sentence)`` reads the sentence with a looser grammar that has the same shape but no agreements,

    NP VERB NP [because (it | they) (is | are) QUALITY] .     NP → DET [ADJ] NOUN, any determiner with any noun,

and then lists the agreements the sentence breaks, each kind on its own:

    "determiner"    a noun phrase's determiner does not fit its noun's number (a cats, two cat)
    "subject-verb"  the verb's number is not the subject's (the cat like …)
    "pronoun"       "it is" / "they are" does not fit the object's number, or the pronoun not its verb (it are)
    "reason"        a reason after a neutral verb, or none after a positive or negative one
    "quality"       the quality does not match the verb (… likes … because it is loud)

A sentence that does not even have that shape is of kind "structure".  A sentence is grammatical, that is one of
the language's 100,000, exactly when ``check`` finds nothing.
"""
from __future__ import annotations

from minigan.data.toy_language import (
    ADJECTIVES, BECAUSE, DETERMINERS, END, NOUNS, NUMBERS, PRONOUN, QUALITIES, SENTIMENT, VERBS,
)

AGREEMENTS = ("determiner", "subject-verb", "pronoun", "reason", "quality")
KINDS = ("structure",) + AGREEMENTS

_NOUN_NUMBER = {noun: number for number in NUMBERS for noun in NOUNS[number]}
_VERB = {verb: (number, sentiment) for number in NUMBERS for verb, sentiment in zip(VERBS[number], SENTIMENT)}
_QUALITY = {quality: sentiment for sentiment, qualities in QUALITIES.items() for quality in qualities}
_PRONOUN_NUMBER = {PRONOUN[number][0]: number for number in NUMBERS}
_BE_NUMBER = {PRONOUN[number][1]: number for number in NUMBERS}
_ALL_DETERMINERS = set(DETERMINERS["singular"]) | set(DETERMINERS["plural"])


def _noun_phrase(words: list, i: int):
    """(number, whether the determiner fits it, the index after the phrase) for a noun phrase at ``words[i]``,
    or None when there is none."""
    if i >= len(words) or words[i] not in _ALL_DETERMINERS:
        return None
    det, i = words[i], i + 1
    if i < len(words) and words[i] in ADJECTIVES:
        i += 1
    if i >= len(words) or words[i] not in _NOUN_NUMBER:
        return None
    number = _NOUN_NUMBER[words[i]]
    return number, det in DETERMINERS[number], i + 1


def check(sentence: str) -> set:
    """The kinds of error in ``sentence`` (a subset of ``KINDS``): empty for a sentence of the toy language,
    {"structure"} for one without its shape, else the agreements it breaks."""
    words = sentence.split()
    subject = _noun_phrase(words, 0)
    if subject is None or subject[2] >= len(words) or words[subject[2]] not in _VERB:
        return {"structure"}
    verb_number, sentiment = _VERB[words[subject[2]]]
    obj = _noun_phrase(words, subject[2] + 1)
    if obj is None:
        return {"structure"}
    rest = words[obj[2]:]
    reason = len(rest) == 5 and rest[0] == BECAUSE and rest[1] in _PRONOUN_NUMBER and rest[2] in _BE_NUMBER \
        and rest[3] in _QUALITY and rest[4] == END
    if rest != [END] and not reason:
        return {"structure"}
    errors = set()
    if not (subject[1] and obj[1]):
        errors.add("determiner")
    if verb_number != subject[0]:
        errors.add("subject-verb")
    if reason != (sentiment != "neutral"):
        errors.add("reason")
    if reason:
        if not _PRONOUN_NUMBER[rest[1]] == _BE_NUMBER[rest[2]] == obj[0]:
            errors.add("pronoun")
        if sentiment != "neutral" and _QUALITY[rest[3]] != sentiment:
            errors.add("quality")
    return errors


def is_grammatical(sentence: str) -> bool:
    """Whether ``sentence`` is one of the toy language's 100,000 sentences."""
    return not check(sentence)


def error_counts(sentences) -> dict:
    """How many of ``sentences`` have each kind of error (a sentence with two kinds counts for both), and how
    many are grammatical."""
    counts = dict.fromkeys(KINDS, 0)
    grammatical = 0
    for sentence in sentences:
        errors = check(sentence)
        grammatical += not errors
        for kind in errors:
            counts[kind] += 1
    return {"grammatical": grammatical, **counts}
