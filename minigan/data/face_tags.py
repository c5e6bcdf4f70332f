"""Tags in words for the toy faces: "blue hair, long hair, red eyes" ↦ the attribute values they name.

    parse_tags("blue hair, red eyes")     # {'hair_color': 4, 'eye_color': 2}: indices into FACE_ATTRIBUTES
    parse_tags("blue hair red eyes")      # the same: commas are optional, as in the course's tag lists
    face_conditions({"hair_color": 4}, 8) # 8 rows of all six attributes, the ones not named drawn at random
    random_requests(4000)                 # 4,000 random tag sets: attribute ↦ requested index, −1 if not named

Every value of every attribute has one phrase (``TAGS``): "<colour> hair", "short hair" / "long hair",
"<colour> eyes", "closed mouth" / "open mouth", "blush" / "no blush", "<colour> background".
"""
from __future__ import annotations

import numpy as np

from minigan import backend
from minigan.data.faces import FACE_ATTRIBUTES

FACE_SIZES = tuple(len(values) for values in FACE_ATTRIBUTES.values())  # values per attribute, in order
_NOUNS = {"hair_color": "hair", "hair_length": "hair", "eye_color": "eyes", "mouth": "mouth",
          "background": "background"}


def _phrase(name: str, value: str) -> str:
    if name == "blush":
        return "blush" if value == "yes" else "no blush"
    return f"{value} {_NOUNS[name]}"


# phrase ↦ (attribute, index of its value in FACE_ATTRIBUTES[attribute])
TAGS = {_phrase(name, value): (name, index)
        for name, values in FACE_ATTRIBUTES.items() for index, value in enumerate(values)}


def accepted_tags() -> str:
    """The phrases ``parse_tags`` accepts, one line per attribute."""
    return "\n".join(f"  {name}: " + ", ".join(_phrase(name, value) for value in values)
                     for name, values in FACE_ATTRIBUTES.items())


def _phrases(text: str) -> list[str]:
    """The phrases of ``text``, read left to right, two words before one ("no blush" before "blush")."""
    found = []
    for part in text.lower().split(","):
        words = part.split()
        while words:
            two, one = " ".join(words[:2]), words[0]
            if len(words) > 1 and two in TAGS:
                found.append(two)
                words = words[2:]
            elif one in TAGS:
                found.append(one)
                words = words[1:]
            else:
                where = "" if " ".join(words) == text.strip().lower() else f" in {text!r}"
                raise ValueError(f"unknown tag {' '.join(words)!r}{where}; the tags are:\n{accepted_tags()}")
    return found


def parse_tags(text: str) -> dict:
    """``text``, a list of tags (comma-separated or not), as {attribute: index into FACE_ATTRIBUTES[attribute]}.

    Attributes the text does not name are left out.  An unknown tag, or two tags that give one attribute two
    values ("blue hair, red hair"), is a ValueError that lists the accepted tags.
    """
    chosen, said = {}, {}
    for phrase in _phrases(text):
        name, index = TAGS[phrase]
        if name in chosen and chosen[name] != index:
            raise ValueError(f"contradictory tags {said[name]!r} and {phrase!r} (two values of {name}); the tags "
                             f"are:\n{accepted_tags()}")
        chosen[name], said[name] = index, phrase
    return chosen


def tags_of(condition) -> str:
    """A row of the six attribute indices (or a dict of some of them) in words: the inverse of ``parse_tags``."""
    items = condition.items() if isinstance(condition, dict) else zip(FACE_ATTRIBUTES, condition)
    return ", ".join(_phrase(name, FACE_ATTRIBUTES[name][int(index)]) for name, index in items)


def face_conditions(requested: dict, n: int) -> np.ndarray:
    """n conditions (n × 6 integers, attributes in FACE_ATTRIBUTES order): the ``requested`` values, and for every
    attribute not requested a value drawn uniformly, from minigan's CPU generator, as the data draw them.

    ``requested``: attribute ↦ a value index for all n faces, or n indices with −1 where the face does not request
    the attribute (``random_requests``).
    """
    unknown = set(requested) - set(FACE_ATTRIBUTES)
    if unknown:
        raise ValueError(f"face_conditions: unknown attributes {sorted(unknown)}; known: {', '.join(FACE_ATTRIBUTES)}")
    gen = backend.rng("cpu")
    rows = np.empty((n, len(FACE_SIZES)), dtype=np.int64)
    for a, (name, size) in enumerate(zip(FACE_ATTRIBUTES, FACE_SIZES)):
        asked = np.broadcast_to(np.asarray(requested.get(name, -1)), (n,))
        if asked.dtype.kind not in "iu" or asked.max(initial=-1) >= size or asked.min(initial=-1) < -1:
            raise ValueError(f"face_conditions: {name} takes indices 0..{size - 1} (−1: not requested), "
                             f"got {requested[name]!r}")
        drawn = gen.integers(size, size=n)
        rows[:, a] = np.where(asked >= 0, asked, drawn)
    return rows


def random_requests(n: int, share: float = 0.5) -> dict:
    """n random tag sets, as a user might write them: each face names each attribute with probability ``share``,
    with a value drawn uniformly; attribute ↦ n indices, −1 where the face does not name it (minigan's CPU
    generator)."""
    gen = backend.rng("cpu")
    requests = {}
    for name, size in zip(FACE_ATTRIBUTES, FACE_SIZES):
        named = gen.random(n) < share
        requests[name] = np.where(named, gen.integers(size, size=n), -1)
    return requests
