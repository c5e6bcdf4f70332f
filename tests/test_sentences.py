"""The toy language, its exact parser, the text-file corpus and the sentence metrics."""
import collections
import itertools

import numpy as np
import pytest

from minigan.data.text import PAD, UNK, Vocabulary, read_lines, text_corpus, toy_corpus
from minigan.data.toy_language import (
    MAX_WORDS, all_toy_sentences, expected_distinct, expected_novel_share, sample_toy_sentences, toy_words,
)
from minigan.metrics import grammar
from minigan.metrics.text import js_divergence, ngram_counts, ngram_js, sentence_metrics

LANGUAGE = dict(all_toy_sentences())


# ---------------------------------------------------------------- the toy language
def test_the_grammar_has_exactly_100000_sentences_of_6_to_12_words_whose_probabilities_sum_to_1():
    assert len(LANGUAGE) == 100_000 and len(all_toy_sentences()) == 100_000
    assert sum(LANGUAGE.values()) == pytest.approx(1.0, abs=1e-9)
    lengths = {len(s.split()) for s in LANGUAGE}
    assert lengths == {6, 7, 8, 10, 11, 12} and max(lengths) == MAX_WORDS
    assert "two old foxes fear the cat because it is loud ." in LANGUAGE
    assert len(toy_words()) == 38 and {w for s in LANGUAGE for w in s.split()} == set(toy_words())


def test_the_sampler_is_fixed_by_its_seed_and_draws_from_the_stated_distribution():
    first = sample_toy_sentences(20_000, seed=3)
    assert first == sample_toy_sentences(20_000, seed=3) and first != sample_toy_sentences(20_000, seed=4)
    assert all(s in LANGUAGE for s in first)
    # the shares of a few choices against the stated probabilities
    words = collections.Counter(w for s in first for w in s.split())
    assert words["because"] / len(first) == pytest.approx(4 / 6, abs=0.01)  # 4 of the 6 verbs take a reason
    assert words["a"] / len(first) == pytest.approx(2 * 0.5 * 0.5, abs=0.01)  # ½ singular × ½ "a", in 2 phrases
    first_words = collections.Counter(s.split()[0] for s in first)
    assert first_words["three"] / len(first) == pytest.approx(0.5 / 3, abs=0.01)
    has_adjective = sum(s.split()[1] in ("big", "small", "old", "young") for s in first) / len(first)
    assert has_adjective == pytest.approx(0.5, abs=0.01)
    # and of every sentence at once: the probability mass of the sentences drawn at least once is what a sampler
    # of the exact distribution leaves, Σₛ p(s)(1 − (1 − p(s))ⁿ)
    p = np.array(list(LANGUAGE.values()))
    expected = float(np.sum(p * (1 - (1 - p) ** len(first))))
    assert sum(LANGUAGE[s] for s in set(first)) == pytest.approx(expected, abs=0.01)


def test_a_perfect_sampler_gives_the_issues_reference_numbers():
    assert expected_novel_share(10_000) == pytest.approx(0.778, abs=0.002)
    assert expected_distinct(10_000) == pytest.approx(8_790, abs=10)
    train, samples = sample_toy_sentences(10_000, 0), sample_toy_sentences(10_000, 1)
    seen = set(train)
    assert sum(s not in seen for s in samples) / 10_000 == pytest.approx(0.778, abs=0.015)


# ---------------------------------------------------------------- the parser
def test_every_sentence_of_the_language_parses_and_nothing_one_word_away_does_unless_it_is_one_too():
    assert all(grammar.is_grammatical(s) for s in LANGUAGE)
    words = toy_words()
    for sentence in sample_toy_sentences(60, seed=7):
        tokens = sentence.split()
        for i, w in itertools.product(range(len(tokens)), words):
            changed = " ".join(tokens[:i] + [w] + tokens[i + 1:])
            assert grammar.is_grammatical(changed) == (changed in LANGUAGE), changed
        assert not grammar.is_grammatical(" ".join(tokens[:-1]))  # without its "."
        assert not grammar.is_grammatical(sentence + " .")


@pytest.mark.parametrize("sentence, kinds", [
    ("the cat likes the dog because it is kind .", set()),
    ("the cats likes the dog because it is kind .", {"subject-verb"}),
    ("two old foxes fears the cat because it is loud .", {"subject-verb"}),
    ("a cats see the dog .", {"determiner"}),
    ("the cat sees two dog .", {"determiner"}),
    ("the cat likes the dogs because it is kind .", {"pronoun"}),
    ("the cat likes the dog because they are kind .", {"pronoun"}),
    ("the cat likes the dog because it are kind .", {"pronoun"}),
    ("the cat likes the dog because it is loud .", {"quality"}),
    ("the cats hate the dog because it is funny .", {"quality"}),
    ("the cat sees the dog because it is kind .", {"reason"}),
    ("the cat likes the dog .", {"reason"}),
    ("the cat like the dogs because it is loud .", {"subject-verb", "pronoun", "quality"}),
    ("the cat likes the dog because it is", {"structure"}),
    ("the likes the dog .", {"structure"}),
    ("the cat likes the dog . .", {"structure"}),
    ("the cat the dog likes .", {"structure"}),
    ("", {"structure"}),
])
def test_each_kind_of_error_is_named(sentence, kinds):
    assert grammar.check(sentence) == kinds


def test_error_counts_count_each_kind_of_a_sentence():
    counts = grammar.error_counts(["the cat like the dogs because it is loud .", "the cat likes the dog .",
                                   "the cat sees the dog ."])
    assert counts == {"grammatical": 1, "structure": 0, "determiner": 0, "subject-verb": 1, "pronoun": 1,
                      "reason": 1, "quality": 1}


# ---------------------------------------------------------------- vocabulary and corpora
def test_vocabulary_encodes_pads_and_decodes_to_the_first_full_stop():
    vocabulary = Vocabulary(["the", "cat", "."], unknown=True)
    assert vocabulary.itos[:2] == [PAD, UNK] and len(vocabulary) == 5
    ids = vocabulary.encode(["the cat .", "the dog"], length=4)
    assert ids.dtype == np.int64 and ids.tolist() == [[2, 3, 4, 0], [2, 1, 0, 0]]
    assert vocabulary.decode(ids) == ["the cat .", "the <unk>"]
    assert vocabulary.decode([[2, 4, 3, 3], [3, 0, 2, 2]]) == ["the .", "cat"]
    with pytest.raises(ValueError, match="sentence 0 has 3 words, more than 2"):
        vocabulary.encode(["the cat ."], length=2)
    with pytest.raises(ValueError, match="'dog', which is not in the vocabulary"):
        Vocabulary(["the"]).encode(["the dog"], length=3)
    with pytest.raises(ValueError, match="distinct"):
        Vocabulary(["a", "a"])


def test_the_toy_corpus_rows_read_back_as_its_sentences():
    corpus = toy_corpus(seed=0, train=500, heldout=200)
    assert corpus.ids.shape == (500, 12) and corpus.toy
    assert corpus.vocabulary.decode(corpus.ids) == corpus.train == sample_toy_sentences(500, 0)
    assert len(corpus.heldout) == 200 and corpus.heldout != corpus.train[:200]
    assert corpus.vocabulary.words == toy_words()


def test_text_corpus_keeps_short_lines_splits_them_and_reads_rare_words_as_unk(tmp_path):
    path = tmp_path / "lines.txt"
    lines = [f"w{i % 5} common word  {'rare' if i == 0 else 'x'}" for i in range(40)] + ["too " * 30, "", "  "]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    corpus = text_corpus(path, max_words=10, min_count=2, heldout=0.25, seed=1)
    assert len(corpus.train) == 30 and len(corpus.heldout) == 10 and corpus.length == 4 and not corpus.toy
    assert "rare" not in corpus.vocabulary.stoi and "too" not in corpus.vocabulary.stoi
    assert {w for s in corpus.train for w in s.split()} <= set(corpus.vocabulary.itos)
    assert all("  " not in s for s in corpus.train)
    assert corpus.ids.shape == (30, 4) and corpus.source == str(path)
    rare = [s for s in corpus.train + corpus.heldout if s.endswith(UNK)]
    assert len(rare) == 1


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"\n  \n\t\n", "the file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "a binary file"),
    (b"caf\xe9 au lait\n", "not UTF-8 text"),
])
def test_unusable_text_files_are_named_in_the_error(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"bad.txt: {message}"):
        read_lines(path)


def test_a_missing_file_or_a_folder_is_named_in_the_error(tmp_path):
    with pytest.raises(ValueError, match="nothing.txt: cannot read it"):
        text_corpus(tmp_path / "nothing.txt")
    with pytest.raises(ValueError, match=f"{tmp_path.name}: cannot read it"):
        text_corpus(tmp_path)
    long = tmp_path / "long.txt"
    long.write_text("a b c d\n")
    with pytest.raises(ValueError, match="long.txt: no line has at most 3 words"):
        text_corpus(long, max_words=3)


# ---------------------------------------------------------------- metrics
def test_ngrams_stay_within_sentences():
    counts = ngram_counts(["a b c", "b c"], 2)
    assert counts == {("a", "b"): 1, ("b", "c"): 2}
    assert ngram_counts(["a"], 2) == {}


def test_js_divergence_is_0_for_equal_1_for_disjoint_and_matches_the_formula():
    p, q = collections.Counter({"a": 3, "b": 1}), collections.Counter({"a": 1, "c": 1})
    assert js_divergence(p, p) == 0.0
    assert js_divergence(collections.Counter({"a": 1}), collections.Counter({"b": 5})) == pytest.approx(1.0)
    P, Q = np.array([0.75, 0.25, 0.0]), np.array([0.5, 0.0, 0.5])
    M = (P + Q) / 2

    def kl(a, b):
        return sum(x * np.log2(x / y) for x, y in zip(a, b) if x > 0)

    assert js_divergence(p, q) == pytest.approx(0.5 * kl(P, M) + 0.5 * kl(Q, M))
    assert js_divergence(q, p) == pytest.approx(js_divergence(p, q))


def test_ngram_js_of_a_second_sample_of_the_language_is_small_and_of_a_broken_one_large():
    heldout = sample_toy_sentences(3000, 1)
    same = ngram_js(sample_toy_sentences(3000, 2), heldout)
    reversed_ = ngram_js([" ".join(s.split()[::-1]) for s in sample_toy_sentences(3000, 2)], heldout)
    assert set(same) == {"js_1", "js_2", "js_3", "js_4"}
    assert same["js_1"] < 0.005 and same["js_4"] < 0.25
    assert reversed_["js_1"] < 0.005 and reversed_["js_2"] > 0.9


def test_sentence_metrics_of_known_samples():
    train = ["the cat sees the dog .", "a dog sees the cat ."]
    samples = ["the cat sees the dog .", "the cat sees a dog .", "the cat sees a dog .", "the cat see a dog .",
               "cat"]
    m = sentence_metrics(samples, train, heldout=train, words=toy_words(), toy=True)
    assert m["samples"] == 5 and m["distinct"] == 4
    assert m["new"] == pytest.approx(4 / 5)
    assert m["grammatical"] == pytest.approx(3 / 5) and m["grammatical_and_new"] == pytest.approx(2 / 5)
    assert m["errors"]["subject-verb"] == pytest.approx(1 / 5) and m["errors"]["structure"] == pytest.approx(1 / 5)
    assert "likes" in m["unused_words"] and "cat" not in m["unused_words"]
    assert m["unused_word_count"] == len(m["unused_words"]) == 38 - 7  # the, cat, sees, dog, ., a, see
    other = sentence_metrics(samples, train, heldout=train, words=["cat", "dog"], toy=False)
    assert "grammatical" not in other and "errors" not in other
