"""How good a sentence generator is: creation, variety, vocabulary, and n-gram statistics against held-out text.

For the toy language, whose grammar is known, the exact parser (``minigan.metrics.grammar``) adds the share of
grammatical samples, the share that is grammatical *and* not in the training set (section 5's creation: "most
outputs never appear in training"), and each kind of agreement error.  For any corpus, the Jensen–Shannon
divergence of word n-grams between samples and held-out lines, n = 1…4, is the measure of Gulrajani et al.
(2017, section 6).
"""
from __future__ import annotations

import collections
import math

from minigan.metrics import grammar


def ngram_counts(sentences, n: int) -> collections.Counter:
    """How often each run of n consecutive words occurs, within sentences."""
    counts = collections.Counter()
    for sentence in sentences:
        words = sentence.split()
        counts.update(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    return counts


def js_divergence(p: collections.Counter, q: collections.Counter) -> float:
    """The Jensen–Shannon divergence, in bits (0 for equal distributions, 1 for disjoint ones), between the
    distributions that two tables of counts define: JS(P, Q) = ½ KL(P ‖ M) + ½ KL(Q ‖ M), M = ½ (P + Q)."""
    total_p, total_q = sum(p.values()), sum(q.values())
    if total_p == 0 or total_q == 0:
        return 1.0 if total_p or total_q else 0.0
    js = 0.0
    for key in p.keys() | q.keys():
        a, b = p.get(key, 0) / total_p, q.get(key, 0) / total_q
        m = 0.5 * (a + b)
        # ½ a log₂(a/m) + ½ b log₂(b/m), a term vanishing where its probability does
        js += 0.5 * (a * math.log2(a / m) if a else 0.0) + 0.5 * (b * math.log2(b / m) if b else 0.0)
    return js


def ngram_tables(sentences, orders=(1, 2, 3, 4)) -> dict:
    """{n: ngram_counts(sentences, n)} for each n in ``orders``: held-out lines counted once for many comparisons."""
    return {n: ngram_counts(sentences, n) for n in orders}


def ngram_js(samples, reference, orders=(1, 2, 3, 4)) -> dict:
    """{"js_1": …, …, "js_4": …}: the JS divergence of the word n-gram distributions of ``samples`` and
    ``reference`` (held-out lines, or their ``ngram_tables``) for each n in ``orders``."""
    tables = reference if isinstance(reference, dict) else ngram_tables(reference, orders)
    return {f"js_{n}": js_divergence(ngram_counts(samples, n), tables[n]) for n in orders}


def sentence_metrics(samples, train, heldout, words, toy: bool) -> dict:
    """The numbers of the sentence GAN's metrics.json for the generated sentences ``samples``.

    train:   the training sentences (a sample found among them is not new);
    heldout: lines the generator never saw (or their ``ngram_tables``), for the n-gram divergences;
    words:   the vocabulary's words (no padding), for the words never produced;
    toy:     whether the sentences are the toy language's, which adds the parser's verdicts.
    """
    samples = list(samples)
    n = len(samples)
    seen = set(train)
    produced = {word for sentence in samples for word in sentence.split()}
    metrics = {
        "samples": n,
        "distinct": len(set(samples)),
        "new": sum(s not in seen for s in samples) / n,
        "unused_words": sorted(set(words) - produced),
        **ngram_js(samples, heldout),
    }
    metrics["unused_word_count"] = len(metrics["unused_words"])
    if toy:
        counts = grammar.error_counts(samples)
        metrics["grammatical"] = counts.pop("grammatical") / n
        metrics["grammatical_and_new"] = sum(s not in seen and grammar.is_grammatical(s) for s in samples) / n
        metrics["errors"] = {kind: count / n for kind, count in counts.items()}
    return metrics
