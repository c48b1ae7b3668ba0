"""Expected values for WordVectorsTests: the deep-learning specialisation's "Operations on word vectors" functions
(cosine_similarity, complete_analogy, neutralize, equalize - Bolukbasi et al. 2016), copied as the course writes them,
run in numpy float64 over small float32 vectors. Writes Fixtures/word_vectors.json.

    /usr/bin/python3 make_word_vector_fixtures.py   (Debian's python3-numpy)
"""
import json
import os

import numpy as np


def cosine_similarity(u, v):
    dot = np.dot(u, v)
    norm_u = np.sqrt(np.sum(u * u))
    norm_v = np.sqrt(np.sum(v * v))
    if np.isclose(norm_u * norm_v, 0, atol=1e-32):
        return 0
    return dot / (norm_u * norm_v)


def complete_analogy(word_a, word_b, word_c, word_to_vec_map):
    e_a, e_b, e_c = word_to_vec_map[word_a], word_to_vec_map[word_b], word_to_vec_map[word_c]
    max_cosine_sim = -100
    best_word = None
    for w in word_to_vec_map.keys():
        if w in [word_a, word_b, word_c]:
            continue
        cosine_sim = cosine_similarity(e_b - e_a, word_to_vec_map[w] - e_c)
        if cosine_sim > max_cosine_sim:
            max_cosine_sim = cosine_sim
            best_word = w
    return best_word, max_cosine_sim


def neutralize(word, g, word_to_vec_map):
    e = word_to_vec_map[word]
    e_biascomponent = np.dot(e, g) / np.sum(g * g) * g
    return e - e_biascomponent


def equalize(pair, bias_axis, word_to_vec_map):
    w1, w2 = pair
    e_w1, e_w2 = word_to_vec_map[w1], word_to_vec_map[w2]
    mu = (e_w1 + e_w2) / 2
    mu_B = np.dot(mu, bias_axis) / np.sum(bias_axis * bias_axis) * bias_axis
    mu_orth = mu - mu_B
    e_w1B = np.dot(e_w1, bias_axis) / np.sum(bias_axis * bias_axis) * bias_axis
    e_w2B = np.dot(e_w2, bias_axis) / np.sum(bias_axis * bias_axis) * bias_axis
    corrected_e_w1B = np.sqrt(np.abs(1 - np.sum(mu_orth * mu_orth))) * (e_w1B - mu_B) / np.linalg.norm(e_w1 - mu_orth - mu_B)
    corrected_e_w2B = np.sqrt(np.abs(1 - np.sum(mu_orth * mu_orth))) * (e_w2B - mu_B) / np.linalg.norm(e_w2 - mu_orth - mu_B)
    e1 = corrected_e_w1B + mu_orth
    e2 = corrected_e_w2B + mu_orth
    return e1, e2


def main():
    rng = np.random.default_rng(17)
    words = ["man", "woman", "king", "queen", "boy", "girl", "actor", "actress", "doctor", "nurse",
             "receptionist", "paris", "france", "rome", "italy", "tokyo", "japan"]
    dim = 10
    vectors = (rng.standard_normal((len(words), dim)) * 0.4).astype(np.float32)
    # Plant structure so the analogies have clear answers.
    gender = (rng.standard_normal(dim) * 0.5).astype(np.float32)
    capital = (rng.standard_normal(dim) * 0.5).astype(np.float32)
    for female in ["woman", "queen", "girl", "actress"]:
        male = {"woman": "man", "queen": "king", "girl": "boy", "actress": "actor"}[female]
        vectors[words.index(female)] = vectors[words.index(male)] + gender + (rng.standard_normal(dim) * 0.05).astype(np.float32)
    for city, country in [("paris", "france"), ("rome", "italy"), ("tokyo", "japan")]:
        vectors[words.index(city)] = vectors[words.index(country)] + capital + (rng.standard_normal(dim) * 0.05).astype(np.float32)
    vectors = vectors.astype(np.float32)
    m = {w: vectors[i].astype(np.float64) for i, w in enumerate(words)}

    pairs = [("man", "woman"), ("paris", "rome"), ("doctor", "nurse"), ("king", "receptionist")]
    similarities = [{"a": a, "b": b, "value": float(cosine_similarity(m[a], m[b]))} for a, b in pairs]

    analogies = []
    for a, b, c in [("man", "woman", "king"), ("man", "woman", "boy"), ("france", "paris", "italy"),
                    ("italy", "rome", "japan"), ("king", "queen", "actor")]:
        best, sim = complete_analogy(a, b, c, m)
        analogies.append({"a": a, "b": b, "c": c, "word": best, "similarity": float(sim)})

    g = m["woman"] - m["man"]
    g32 = g.astype(np.float32).astype(np.float64)  # the axis as the C# test passes it, in float32
    neutralized = [{"word": w, "vector": [float(x) for x in neutralize(w, g32, m)]} for w in ["receptionist", "doctor", "nurse"]]
    equalized = []
    for w1, w2 in [("actor", "actress"), ("boy", "girl")]:
        e1, e2 = equalize((w1, w2), g32, m)
        equalized.append({"word1": w1, "word2": w2, "vector1": [float(x) for x in e1], "vector2": [float(x) for x in e2]})

    fixture = {
        "words": words,
        "dimension": dim,
        "vectors": [float(x) for x in vectors.reshape(-1)],
        "bias_axis": ["woman", "man"],
        "similarities": similarities,
        "analogies": analogies,
        "neutralized": neutralized,
        "equalized": equalized,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Fixtures", "word_vectors.json")
    with open(path, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(path)


if __name__ == "__main__":
    main()
