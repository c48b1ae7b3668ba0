#!/usr/bin/python3
"""Writes Fixtures/bleu.json, the corpus BLEU cases tests/Unroll.Tests/Decoding/BleuTests.cs checks against.

    apt-get install -y python3-nltk
    /usr/bin/python3 tests/Unroll.Tests/Decoding/make_bleu_fixtures.py

NLTK (nltk.translate.bleu_score) is the reference implementation. Each case is a corpus of token-id
sentences: "hypotheses" (list of lists of ints), "references" (per hypothesis, a list of 1-4 lists of
ints) and "max_order" N (weights (1/N,)*N). Expected values:

    statistics  NLTK's own per-sentence pieces summed as corpus_bleu sums them: modified_precision's
                numerators and denominators per order, the hypothesis lengths, closest_ref_length
    bleu        corpus_bleu(references, hypotheses, weights) for each smoothing:
                "none" (no smoothing function, i.e. method0), "epsilon" (SmoothingFunction().method1),
                "add_one" (method2), "nist" (method3)

Note: NLTK's unsmoothed score with an order that has no match is not exactly 0 but
bp * exp(sum of w*log(p)) with p = sys.float_info.min for that order (about 1e-77 or smaller for
BLEU-4); the scorer returns 0 there, as the definition does.
"""
import json
import os
import random
import sys
import warnings

import nltk
from nltk.translate.bleu_score import (SmoothingFunction, closest_ref_length, corpus_bleu,
                                       modified_precision)

warnings.filterwarnings("ignore")  # method0's "the hypothesis contains 0 counts of n-gram overlaps"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Fixtures")
SMOOTHING = {"none": None, "epsilon": SmoothingFunction().method1,
             "add_one": SmoothingFunction().method2, "nist": SmoothingFunction().method3}


def case(name, hypotheses, references, max_order=4):
    assert len(hypotheses) == len(references)
    weights = tuple([1 / max_order] * max_order)
    numerators, denominators = [0] * max_order, [0] * max_order
    hyp_len = ref_len = 0
    for refs, hyp in zip(references, hypotheses):
        for n in range(1, max_order + 1):
            p = modified_precision(refs, hyp, n)
            numerators[n - 1] += p.numerator
            denominators[n - 1] += p.denominator
        hyp_len += len(hyp)
        ref_len += closest_ref_length(refs, len(hyp))
    bleu = {key: float(corpus_bleu(references, hypotheses, weights, smoothing_function=f))
            for key, f in SMOOTHING.items()}
    return {"name": name, "max_order": max_order,
            "hypotheses": [list(h) for h in hypotheses],
            "references": [[list(r) for r in refs] for refs in references],
            "statistics": {"matches": numerators, "totals": denominators,
                           "hypothesis_length": hyp_len, "reference_length": ref_len},
            "bleu": bleu}


def to_ids(sentences, vocabulary):
    """Words to ids, in order of first appearance across the whole example."""
    return [[vocabulary.setdefault(w, len(vocabulary)) for w in s] for s in sentences]


# The examples of NLTK's docstrings (sentence_bleu, corpus_bleu, SmoothingFunction), as ids.
HYP1 = "It is a guide to action which ensures that the military always obeys the commands of the party".split()
HYP2 = "It is to insure the troops forever hearing the activity guidebook that party direct".split()
REF1A = "It is a guide to action that ensures that the military will forever heed Party commands".split()
REF1B = "It is the guiding principle which guarantees the military forces always being under the command of the Party".split()
REF1C = "It is the practical guide for the army always to heed the directions of the party".split()
HYP_B = "he read the book because he was interested in world history".split()
REF_B = "he was interested in world history because he read the book".split()


def docstring_cases():
    v = {}
    h1, h2, r1a, r1b, r1c, hb, rb = to_ids([HYP1, HYP2, REF1A, REF1B, REF1C, HYP_B, REF_B], v)
    return [
        case("nltk_sentence_bleu_hypothesis1", [h1], [[r1a, r1b, r1c]]),            # 0.5045...
        case("nltk_sentence_bleu_hypothesis2", [h2], [[r1a, r1b, r1c]]),            # 0 (no 3-, 4-gram match)
        case("nltk_corpus_bleu", [h1, hb], [[r1a, r1b, r1c], [rb]]),                # 0.5920...
        case("nltk_corpus_bleu_sentence2", [hb], [[rb]]),
        case("nltk_smoothing_function", [h1], [[r1a]]),                             # 0.4118..., add_one 0.4452...
        case("nltk_corpus_bleu_bleu2", [h1, hb], [[r1a, r1b, r1c], [rb]], max_order=2),
        case("nltk_corpus_bleu_bleu5", [h1, hb], [[r1a, r1b, r1c], [rb]], max_order=5),
    ]


def random_corpus(seed, sentences, vocab, min_len, max_len, min_refs, max_refs, ref_from_hyp=0.6):
    """Random sentences; each reference copies a hypothesis token with probability ref_from_hyp (so
    higher orders match now and then), else draws a fresh one."""
    rng = random.Random(seed)
    hyps, refs = [], []
    for _ in range(sentences):
        h = [rng.randrange(vocab) for _ in range(rng.randint(min_len, max_len))]
        rs = []
        for _ in range(rng.randint(min_refs, max_refs)):
            length = rng.randint(min_len, max_len)
            r = []
            for i in range(length):
                if h and rng.random() < ref_from_hyp:
                    r.append(h[min(i + rng.choice((-1, 0, 0, 0, 1)), len(h) - 1)] if i > 0 else h[0])
                else:
                    r.append(rng.randrange(vocab))
            rs.append(r)
        hyps.append(h)
        refs.append(rs)
    return hyps, refs


def random_cases():
    cases = []
    specs = [
        # name, seed, sentences, vocab, lengths, references
        ("random_small_vocab", 1, 8, 5, (3, 12), (1, 1)),
        ("random_medium", 2, 20, 12, (5, 25), (1, 2)),
        ("random_four_references", 3, 15, 10, (4, 20), (4, 4)),
        ("random_one_to_four_references", 4, 30, 8, (1, 30), (1, 4)),
        ("random_large_vocab", 5, 25, 40, (8, 30), (1, 3)),
        ("random_long", 6, 5, 6, (60, 120), (1, 3)),
        ("random_single_sentence", 7, 1, 6, (10, 20), (2, 2)),
        ("random_very_short", 8, 40, 4, (0, 4), (1, 3)),
    ]
    for name, seed, sentences, vocab, (lo, hi), (rlo, rhi) in specs:
        hyps, refs = random_corpus(seed, sentences, vocab, lo, hi, rlo, rhi)
        cases.append(case(name, hyps, refs))
    hyps, refs = random_corpus(9, 12, 7, 3, 15, 1, 3)
    for order in (1, 2, 3, 5, 6):
        cases.append(case(f"random_order{order}", hyps, refs, max_order=order))
    # Copies of the hypothesis with a few tokens changed: high scores, all orders matching.
    rng = random.Random(10)
    hyps, refs = [], []
    for _ in range(10):
        h = [rng.randrange(50) for _ in range(rng.randint(10, 25))]
        rs = []
        for _ in range(rng.randint(1, 4)):
            r = list(h)
            for _ in range(rng.randint(0, 3)):
                r[rng.randrange(len(r))] = rng.randrange(50)
            if rng.random() < 0.5:
                r.insert(rng.randrange(len(r)), rng.randrange(50))
            rs.append(r)
        hyps.append(h)
        refs.append(rs)
    cases.append(case("random_near_copies", hyps, refs))
    # Negative and large token ids are just ids.
    hyps, refs = random_corpus(11, 10, 6, 5, 15, 1, 2)
    remap = dict(enumerate([-(2 ** 31), -7, -1, 0, 2 ** 31 - 1, 123456789]))
    cases.append(case("random_extreme_ids", [[remap[t] for t in h] for h in hyps],
                      [[[remap[t] for t in r] for r in rs] for rs in refs]))
    return cases


def edge_cases():
    cases = []
    s = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
    cases.append(case("identical", [s], [[s]]))                                    # 1.0
    cases.append(case("identical_corpus", [s, s[:6], [7, 7, 7, 7]], [[s], [s[:6]], [[7, 7, 7, 7]]]))
    cases.append(case("identical_among_references", [s], [[s[:5], s, s + [8, 8]]]))
    # Brevity penalty: hypotheses shorter than their references.
    cases.append(case("short_hypothesis", [s[:6]], [[s]]))                         # BP = exp(1 - 10/6)
    cases.append(case("short_corpus", [s[:7], [1, 2, 3, 4, 5]], [[s], [[1, 2, 3, 4, 5, 6, 7, 8]]]))
    cases.append(case("long_hypothesis", [s + [2, 7, 1, 8]], [[s]]))               # c > r: BP = 1
    cases.append(case("equal_length_no_penalty", [[1, 2, 3, 4, 5]], [[[1, 2, 3, 4, 6]]]))
    # Closest reference length: ties go to the shorter reference.
    cases.append(case("closest_reference_tie", [[1, 2, 3, 4, 5, 6]], [[[1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4]]]))
    cases.append(case("closest_reference_tie_reversed", [[1, 2, 3, 4, 5, 6]], [[[1, 2, 3, 4], [1, 2, 3, 4, 5, 6, 7, 8]]]))
    cases.append(case("closest_reference_not_longest", [[1, 2, 3, 4, 5, 6, 7]], [[[1, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8], [1] * 20]]))
    # Clipping: repeated hypothesis tokens count at most as often as in the best reference.
    cases.append(case("clipping_paper", [[1] * 7], [[[2, 1, 3, 4, 2, 1, 5], [6, 1, 7, 2, 3, 8]]]))  # "the the the ..." 2/7
    cases.append(case("clipping_max_over_references", [[1, 1, 1, 2, 2, 3]], [[[1, 2, 3, 4], [1, 1, 5, 6], [2, 2, 2, 1]]]))
    # Zero matches at some orders (smoothing matters).
    cases.append(case("no_bigram_match", [[1, 2, 3, 4, 5, 6]], [[[6, 5, 4, 3, 2, 1]]]))
    cases.append(case("no_trigram_match", [[1, 2, 3, 4, 5, 6, 7]], [[[1, 2, 9, 3, 4, 9, 5, 6, 9, 7]]]))
    cases.append(case("no_fourgram_match", [[1, 2, 3, 4, 5, 6, 7, 8]], [[[1, 2, 3, 9, 4, 5, 6, 9, 7, 8]]]))
    cases.append(case("no_unigram_match", [[1, 2, 3]], [[[4, 5, 6]]]))            # 0 whatever the smoothing
    # Hypotheses shorter than n (NLTK's denominator is at least 1 per sentence).
    cases.append(case("hypothesis_shorter_than_n", [[1, 2]], [[[1, 2, 3]]]))
    cases.append(case("corpus_with_short_sentences", [[1, 2], [4, 5, 6, 7, 8], [9]], [[[1, 2, 3]], [[4, 5, 6, 7, 8]], [[9, 10]]]))
    # Empty hypotheses and references.
    cases.append(case("empty_hypothesis_in_corpus", [[], [1, 2, 3, 4, 5]], [[[1, 2]], [[1, 2, 3, 4, 5]]]))
    cases.append(case("empty_hypothesis_alone", [[]], [[[1, 2, 3]]]))
    cases.append(case("empty_reference", [[1, 2, 3, 4]], [[[], [1, 2, 3, 4, 5]]]))
    cases.append(case("empty_hypothesis_empty_reference", [[], [1, 2, 3, 4]], [[[]], [[1, 2, 3, 4]]]))
    cases.append(case("single_token", [[5]], [[[5]]], max_order=1))
    return cases


def main():
    cases = docstring_cases() + edge_cases() + random_cases()
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    os.makedirs(OUT, exist_ok=True)
    header = {"generator": "make_bleu_fixtures.py", "nltk_version": nltk.__version__,
              "python_version": sys.version.split()[0]}
    with open(os.path.join(OUT, "bleu.json"), "w") as f:  # one case per line: small, and diffs stay readable
        f.write(json.dumps(header)[:-1] + ', "cases": [\n')
        f.write(",\n".join(json.dumps(c) for c in cases))
        f.write("\n]}\n")
    print(f"bleu.json: {len(cases)} cases")
    for c in cases:
        print(f"  {c['name']:40s} " + " ".join(f"{k}={v:.6g}" for k, v in c["bleu"].items()))


if __name__ == "__main__":
    main()
