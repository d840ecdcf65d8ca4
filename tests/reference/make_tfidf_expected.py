"""Produces tfidf_expected.json: scikit-learn's TF-IDF and a numpy soft baseline on a fixed
corpus of ALFWorld- and WebShop-like observations, for tests/tfidf_sklearn.rs.

Run: pip install scikit-learn==1.9.1 numpy && python3 tests/reference/make_tfidf_expected.py
"""
import json
import os
import random

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer

rng = random.Random(7)
RECEPTACLES = ["cabinet", "countertop", "drawer", "fridge", "microwave", "sinkbasin",
               "shelf", "sofa", "desk", "garbagecan", "stoveburner", "toaster"]
OBJECTS = ["apple", "mug", "knife", "plate", "bowl", "cup", "tomato", "potato",
           "pen", "book", "cellphone", "keychain", "soapbar", "towel"]
PRODUCTS = ["Men's Running Shoes", "Organic Green Tea", "Wireless Earbuds",
            "Gluten Free Pasta", "Cotton T-Shirt", "LED Desk Lamp", "Face Moisturizer"]


def alfworld_obs():
    kind = rng.randrange(5)
    r = f"{rng.choice(RECEPTACLES)} {rng.randint(1, 4)}"
    o = f"{rng.choice(OBJECTS)} {rng.randint(1, 3)}"
    if kind == 0:
        return f"You arrive at {r}. On the {r}, you see a {o}, and a {rng.choice(OBJECTS)} 1."
    if kind == 1:
        return f"You arrive at {r}. The {r} is closed."
    if kind == 2:
        return f"You pick up the {o} from the {r}."
    if kind == 3:
        return f"You open the {r}. The {r} is open. In it, you see a {o}."
    return "Nothing happens."


def webshop_obs():
    p = rng.choice(PRODUCTS)
    price = f"${rng.randint(5, 90)}.{rng.randint(0, 99):02d}"
    if rng.random() < 0.5:
        return (f"Back to Search [SEP] Page 1 (Total results: 50) [SEP] Next > [SEP] "
                f"B0{rng.randint(10000, 99999)} [SEP] {p} [SEP] {price}")
    return (f"Back to Search [SEP] < Prev [SEP] size [SEP] small [SEP] large [SEP] {p} "
            f"[SEP] Price: {price} [SEP] Rating: N.A. [SEP] Description [SEP] Buy Now")


corpus = [alfworld_obs() if i % 3 else webshop_obs() for i in range(72)]
corpus += ["", "a b c", "Nothing happens.", "ÉCLAIR café naïve 42"]

MAX_FEATURES = 40
vectorizer = TfidfVectorizer(max_features=MAX_FEATURES)
matrix = vectorizer.fit_transform(corpus)

# The cutoff must not fall inside a tie (scikit-learn's order among tied terms is undefined).
counts = TfidfVectorizer(use_idf=False, norm=None).fit(corpus)
totals = np.asarray(counts.transform(corpus).sum(axis=0)).ravel()
ordered = sorted(totals, reverse=True)
assert ordered[MAX_FEATURES - 1] != ordered[MAX_FEATURES], "tie at the cutoff: change the corpus"

terms = vectorizer.get_feature_names_out().tolist()
dense = matrix.toarray()

# Soft baseline as the released code computes it: full cosine matrix, same-group softmax.
groups = [i // 10 for i in range(len(corpus))]
returns = [round(rng.uniform(-1, 10), 3) for _ in corpus]
tau = 0.1
norms = np.linalg.norm(dense, axis=1, keepdims=True)
unit = dense / (norms + 1e-8)
sim = unit @ unit.T
baselines = []
for i in range(len(corpus)):
    members = [j for j in range(len(corpus)) if groups[j] == groups[i]]
    logits = np.array([sim[i, j] / tau for j in members])
    w = np.exp(logits - logits.max())
    w /= w.sum()
    baselines.append(float(np.dot(w, [returns[j] for j in members])))

out = {
    "generator": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}",
    "max_features": MAX_FEATURES,
    "corpus": corpus,
    "terms": terms,
    "idf": vectorizer.idf_.tolist(),
    "rows": [{terms[j]: float(v) for j, v in enumerate(row) if v != 0.0} for row in dense],
    "groups": groups,
    "returns": returns,
    "tau": tau,
    "soft_baselines": baselines,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tfidf_expected.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
print(f"wrote {path}: {len(corpus)} documents, {len(terms)} terms")
