"""Sentences as rows of word indices: a vocabulary, the toy language's corpus, and any text file.

A sentence is a line of words separated by whitespace.  The vocabulary numbers the words; index 0 is the
padding ``<pad>`` that fills a sentence up to the corpus's length, and ``<unk>`` (in a corpus from a file)
stands for every word seen fewer than ``min_count`` times.  Decoding reads a row back: a sentence ends at its
first ``.`` (kept) or its first padding (dropped), the rule the sentence GAN's samples are read with.
"""
from __future__ import annotations

import collections
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from minigan.data.toy_language import END, MAX_WORDS, sample_toy_sentences, toy_words

PAD, UNK = "<pad>", "<unk>"


class Vocabulary:
    """Words ↔ indices.  ``words`` are the words of the language (no padding); the vocabulary holds ``<pad>``
    at index 0, then ``<unk>`` when ``unknown=True``, then the words."""

    def __init__(self, words, unknown: bool = False):
        words = list(words)
        specials = [PAD] + ([UNK] if unknown else [])
        clash = [w for w in words if w in specials]
        if clash or len(set(words)) != len(words):
            raise ValueError(f"Vocabulary: the words must be distinct and must not be {specials}; got "
                             f"{clash or [w for w, c in collections.Counter(words).items() if c > 1]}")
        self.itos = specials + words
        self.stoi = {word: i for i, word in enumerate(self.itos)}
        self.words = words
        self.unknown = unknown

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, sentences, length: int) -> np.ndarray:
        """An (N, length) int64 array: each sentence's word indices, then padding.  A word outside the vocabulary
        is ``<unk>`` (an error without one); a sentence longer than ``length`` is an error."""
        ids = np.zeros((len(sentences), length), dtype=np.int64)
        for row, sentence in enumerate(sentences):
            words = sentence.split()
            if len(words) > length:
                raise ValueError(f"Vocabulary.encode: sentence {row} has {len(words)} words, more than {length}")
            for col, word in enumerate(words):
                if word in self.stoi:
                    ids[row, col] = self.stoi[word]
                elif self.unknown:
                    ids[row, col] = self.stoi[UNK]
                else:
                    raise ValueError(f"Vocabulary.encode: sentence {row} has the word {word!r}, which is not in "
                                     "the vocabulary")
        return ids

    def decode(self, ids) -> list[str]:
        """Rows of word indices as sentences: each ends at its first ``.`` (kept) or padding (dropped)."""
        sentences = []
        for row in np.asarray(ids):
            words = []
            for i in row:
                word = self.itos[int(i)]
                if word == PAD:
                    break
                words.append(word)
                if word == END:
                    break
            sentences.append(" ".join(words))
        return sentences


@dataclass
class Corpus:
    """Training and held-out sentences, their vocabulary, and the training sentences as rows of indices.

    The sentences are as the vocabulary reads them (rare words as ``<unk>``, each cut at its first ``.``), so
    that a generated sentence can be compared with them word for word.  ``length`` is the number of positions
    every row has; ``toy`` says whether the sentences are the toy language's, which the parser of
    ``minigan.metrics.grammar`` can check.
    """
    train: list
    heldout: list
    vocabulary: Vocabulary
    length: int
    toy: bool
    source: str

    def __post_init__(self):
        self.ids = self.vocabulary.encode(self.train, self.length)
        self.train = self.vocabulary.decode(self.ids)
        self.heldout = self.vocabulary.decode(self.vocabulary.encode(self.heldout, self.length))


def toy_corpus(seed: int, train: int = 10_000, heldout: int = 10_000) -> Corpus:
    """``train`` sentences of the toy language drawn by ``seed``, and ``heldout`` others drawn by a seed of their
    own (for the n-gram divergences): the built-in data of ``examples/sentence_gan.py``."""
    return Corpus(train=sample_toy_sentences(train, seed), heldout=sample_toy_sentences(heldout, seed + 1_000_003),
                  vocabulary=Vocabulary(toy_words()), length=MAX_WORDS, toy=True, source="the toy language")


def read_lines(path) -> list[str]:
    """The non-empty lines of a UTF-8 text file, each with its words separated by single spaces; an error naming
    the file when it cannot be read, is binary, or holds no words."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ValueError(f"{path}: cannot read it ({err.strerror or err})") from None
    if b"\x00" in raw:
        raise ValueError(f"{path}: a binary file (it holds NUL bytes), not text with one sentence per line")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text (byte {err.start} cannot be decoded)") from None
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise ValueError(f"{path}: the file is empty (no line has a word)")
    return lines


def text_corpus(path, max_words: int = 20, min_count: int = 2, heldout: float = 0.1, seed: int = 0) -> Corpus:
    """A corpus from a text file with one sentence per line.

    Lines of more than ``max_words`` words are left out; the rest are shuffled by ``seed`` and split, a share
    ``heldout`` of them held out (for the n-gram divergences).  The vocabulary is the training lines' words seen
    at least ``min_count`` times, the others read as ``<unk>``; rows are padded to the longest kept line.
    """
    if max_words < 1 or min_count < 1 or not 0 <= heldout < 1:
        raise ValueError(f"text_corpus: max_words and min_count must be at least 1 and heldout in [0, 1), got "
                         f"{max_words}, {min_count}, {heldout}")
    lines = [line for line in read_lines(path) if len(line.split()) <= max_words]
    if not lines:
        raise ValueError(f"{path}: no line has at most {max_words} words")
    order = np.random.default_rng([seed, 15]).permutation(len(lines))
    n_heldout = int(round(heldout * len(lines)))
    if n_heldout >= len(lines):
        raise ValueError(f"{path}: {len(lines)} line(s) are too few to hold out a share of {heldout}")
    held, train = [lines[i] for i in order[:n_heldout]], [lines[i] for i in order[n_heldout:]]
    counts = collections.Counter(word for line in train for word in line.split())
    words = sorted((w for w, c in counts.items() if c >= min_count and w not in (PAD, UNK)),
                   key=lambda w: (-counts[w], w))
    length = max(len(line.split()) for line in lines)
    return Corpus(train=train, heldout=held, vocabulary=Vocabulary(words, unknown=True), length=length, toy=False,
                  source=str(path))
