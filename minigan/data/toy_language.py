"""A toy language with a known grammar: the sentences of the sentence GAN (lecture sections 1, 5 and 7).

Word level, lower case, words separated by one space, a sentence ends with the word ``.``:

    sentence    → SUBJECT VERB OBJECT [REASON] .
    noun phrase → (the | a) [ADJ] N_sg            singular
                | (the | two | three) [ADJ] N_pl  plural
    ADJ ∈ {big, small, old, young}   N_sg ∈ {cat, dog, bird, fox}   N_pl ∈ {cats, dogs, birds, foxes}
    VERB agrees with the SUBJECT's number: singular {likes, loves, hates, fears, sees, follows},
         plural {like, love, hate, fear, see, follow}; like/love positive, hate/fear negative, see/follow neutral
    REASON, required after a positive or negative verb and absent after a neutral one:
         because (it is | they are, by the OBJECT's number) QUALITY,
         QUALITY ∈ {kind, funny} after a positive verb, {mean, loud} after a negative one

The data distribution makes every choice independently and uniformly: the subject's number, its determiner,
whether it has an adjective (½) and which, its noun; the verb among the six of that number; the object likewise;
the quality among its two.  That is 100,000 sentences of 6 to 12 words, e.g.
``two old foxes fear the cat because it is loud .``  The agreements reach across up to eight words (the verb
decides the quality, the object the pronoun), so a generator that builds each word on its own gets them wrong.
"""
from __future__ import annotations

import functools
import itertools

import numpy as np

END = "."
DETERMINERS = {"singular": ("the", "a"), "plural": ("the", "two", "three")}
ADJECTIVES = ("big", "small", "old", "young")
NOUNS = {"singular": ("cat", "dog", "bird", "fox"), "plural": ("cats", "dogs", "birds", "foxes")}
VERBS = {"singular": ("likes", "loves", "hates", "fears", "sees", "follows"),
         "plural": ("like", "love", "hate", "fear", "see", "follow")}
SENTIMENT = ("positive", "positive", "negative", "negative", "neutral", "neutral")  # of VERBS[number][i]
QUALITIES = {"positive": ("kind", "funny"), "negative": ("mean", "loud")}
PRONOUN = {"singular": ("it", "is"), "plural": ("they", "are")}  # "because it is …" / "because they are …"
BECAUSE = "because"
NUMBERS = ("singular", "plural")
MAX_WORDS = 12  # 3 (subject) + 1 (verb) + 3 (object) + 4 (because it is kind) + 1 (.)


def toy_words() -> list[str]:
    """The language's 38 words, each once, in the grammar's order."""
    words = [*DETERMINERS["singular"], *DETERMINERS["plural"], *ADJECTIVES, *NOUNS["singular"], *NOUNS["plural"],
             *VERBS["singular"], *VERBS["plural"], BECAUSE, *PRONOUN["singular"], *PRONOUN["plural"],
             *QUALITIES["positive"], *QUALITIES["negative"], END]
    return list(dict.fromkeys(words))  # "the" is both numbers' determiner


def noun_phrases() -> list[tuple[tuple[str, ...], str, float]]:
    """Every noun phrase as (words, number, probability), the probability under the data distribution:
    ½ for the number × 1/(its determiners) × (½ without an adjective, ⅛ with each) × ¼ for the noun."""
    phrases = []
    for number in NUMBERS:
        determiners = DETERMINERS[number]
        for det, adjective, noun in itertools.product(determiners, (None, *ADJECTIVES), NOUNS[number]):
            p = 0.5 / len(determiners) * (0.5 if adjective is None else 0.5 / len(ADJECTIVES)) / len(NOUNS[number])
            words = (det, noun) if adjective is None else (det, adjective, noun)
            phrases.append((words, number, p))
    return phrases


@functools.lru_cache(maxsize=1)
def all_toy_sentences() -> tuple[tuple[str, float], ...]:
    """Every sentence of the language with its probability under the data distribution (they sum to 1)."""
    sentences = []
    phrases = noun_phrases()
    for (subject, number, p_subject), (obj, obj_number, p_object) in itertools.product(phrases, phrases):
        for verb, sentiment in zip(VERBS[number], SENTIMENT):
            p = p_subject * p_object / len(VERBS[number])
            if sentiment == "neutral":
                sentences.append((" ".join((*subject, verb, *obj, END)), p))
                continue
            for quality in QUALITIES[sentiment]:
                reason = (BECAUSE, *PRONOUN[obj_number], quality)
                sentences.append((" ".join((*subject, verb, *obj, *reason, END)), p / len(QUALITIES[sentiment])))
    return tuple(sentences)


def _noun_phrases(rng: np.random.Generator, n: int) -> tuple[list, np.ndarray]:
    """n noun phrases drawn from the data distribution: (their words, whether each is plural)."""
    plural = rng.integers(2, size=n).astype(bool)
    det = rng.integers(6, size=n)  # one draw, read modulo 2 or 3: uniform among the number's determiners
    adjective = rng.integers(2 * len(ADJECTIVES), size=n)  # < 4: that adjective (½ in all), ≥ 4: none
    noun = rng.integers(4, size=n)
    phrases = []
    for i in range(n):
        number = NUMBERS[int(plural[i])]
        words = [DETERMINERS[number][det[i] % len(DETERMINERS[number])]]
        if adjective[i] < len(ADJECTIVES):
            words.append(ADJECTIVES[adjective[i]])
        words.append(NOUNS[number][noun[i]])
        phrases.append(words)
    return phrases, plural


def sample_toy_sentences(n: int, seed: int) -> list[str]:
    """n sentences drawn from the data distribution with a NumPy generator seeded by ``seed`` (the same
    sentences for the same seed on any machine; minigan's own random state is not touched)."""
    if n < 0:
        raise ValueError(f"sample_toy_sentences: n must be at least 0, got {n}")
    rng = np.random.default_rng([seed, 15])
    subjects, plural = _noun_phrases(rng, n)
    verbs = rng.integers(len(SENTIMENT), size=n)
    objects, object_plural = _noun_phrases(rng, n)
    qualities = rng.integers(2, size=n)
    sentences = []
    for i in range(n):
        words = [*subjects[i], VERBS[NUMBERS[int(plural[i])]][verbs[i]], *objects[i]]
        sentiment = SENTIMENT[verbs[i]]
        if sentiment != "neutral":
            words += [BECAUSE, *PRONOUN[NUMBERS[int(object_plural[i])]], QUALITIES[sentiment][qualities[i]]]
        sentences.append(" ".join(words + [END]))
    return sentences


def expected_novel_share(n_train: int) -> float:
    """The share of a perfect sampler's sentences that are not among ``n_train`` sentences drawn from the same
    distribution: Σₛ p(s) (1 − p(s))^n_train."""
    p = np.array([prob for _, prob in all_toy_sentences()])
    return float(np.sum(p * (1.0 - p) ** n_train))


def expected_distinct(n_samples: int) -> float:
    """How many distinct sentences a perfect sampler gives in ``n_samples`` draws: Σₛ 1 − (1 − p(s))^n."""
    p = np.array([prob for _, prob in all_toy_sentences()])
    return float(np.sum(1.0 - (1.0 - p) ** n_samples))
