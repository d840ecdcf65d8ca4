"""The advantage rules of verl-agent's GiGPO and of the released ProxMO code, restated in numpy
from their source (docs/verl-agent.md lists the rules and where upstream states them), in
float64: what the drop-ins must reproduce. Written for the tests, not copied: upstream runs
torch in float32 and scikit-learn's vectorizer, these run plain numpy with the same rules.
"""

import re
from collections import Counter, defaultdict

import numpy as np

# scikit-learn's default token pattern, as `TfidfVectorizer(max_features=1024)` uses it.
TOKEN = re.compile(r"(?u)\b\w\w+\b")
MAX_FEATURES = 1024


def tfidf(docs, max_features=MAX_FEATURES):
    """scikit-learn's TfidfVectorizer rules: lowercase, the token pattern, terms in code-point
    order, the `max_features` most frequent kept by numpy's default sort of the negated corpus
    frequencies, smooth idf, L2-normalised rows."""
    counts = [Counter(TOKEN.findall(d.lower())) for d in docs]
    terms = sorted(set().union(*counts))
    column = {t: j for j, t in enumerate(terms)}
    x = np.zeros((len(docs), len(terms)))
    for i, c in enumerate(counts):
        for t, k in c.items():
            x[i, column[t]] = k
    if len(terms) > max_features:
        keep = np.sort((-x.sum(axis=0)).argsort()[:max_features])
        x = x[:, keep]
    df = (x > 0).sum(axis=0)
    x = x * (np.log((1 + len(docs)) / (1 + df)) + 1)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)


def episode(scores, index, std=False, psc=None, eps=1e-6):
    """GiGPO/ProxMO episode level over each uid's step rows: a uid of one row has mean 0 and
    std 1; PSC (alpha, beta) takes p = clamp(the uid's mean, 0, 1) and weighs the centred
    score by 1 + beta (s((1 - p)^alpha) - 1/2) for a score > 0.5, else 1 + beta (s(-p^alpha) - 1/2)."""
    scores = np.asarray(scores, dtype=np.float64)
    rows = defaultdict(list)
    for i, u in enumerate(index):
        rows[u].append(i)
    out = np.zeros_like(scores)
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    for members in rows.values():
        values = scores[members]
        mean, sd = (0.0, 1.0) if len(values) == 1 else (values.mean(), values.std(ddof=1))
        centred = (values - mean) / (sd + eps) if std else values - mean
        if psc is not None:
            alpha, beta = psc
            p = min(1.0, max(0.0, mean))
            win = 1 + beta * (sigmoid((1 - p) ** alpha) - 0.5)
            loss = 1 + beta * (sigmoid(-(p ** alpha)) - 0.5)
            centred = centred * np.where(values > 0.5, win, loss)
        out[members] = centred
    return out


def soft_step(returns, anchors, index, temperature=0.1):
    """ProxMO soft grouping: TF-IDF of str(anchor) fitted on the whole batch, softmax of
    cosine / temperature over the rows of the same uid (the row itself included)."""
    returns = np.asarray(returns, dtype=np.float64)
    x = tfidf([str(o) for o in anchors])
    sim = x @ x.T / temperature
    same = np.array([[a == b for b in index] for a in index])
    sim = np.where(same, sim, -np.inf)
    w = np.exp(sim - sim.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    return returns - w @ returns


def to_hashable(x):
    """verl-agent's anchor key: numbers as they are, arrays as the tuple of their flattened
    values, lists and tuples element by element, dicts as their sorted items."""
    if isinstance(x, (int, float, str, bool)):
        return x
    if isinstance(x, (np.integer, np.floating)):
        return x.item()
    if isinstance(x, np.ndarray):
        return tuple(x.flatten())
    if isinstance(x, (list, tuple)):
        return tuple(to_hashable(e) for e in x)
    if isinstance(x, dict):
        return tuple(sorted((k, to_hashable(v)) for k, v in x.items()))
    raise TypeError(f"Unsupported type: {type(x)}")


def exact_step(returns, anchors, index, std=False, eps=1e-6):
    """GiGPO's step level: within each uid, rows whose anchors are equal (to_hashable) form a
    step group, centred on its mean (a group of one gets 0)."""
    returns = np.asarray(returns, dtype=np.float64)
    groups = defaultdict(list)
    for i, (u, o) in enumerate(zip(index, anchors)):
        groups[(u, to_hashable(o))].append(i)
    out = np.zeros_like(returns)
    for members in groups.values():
        values = returns[members]
        if len(values) == 1:
            continue
        centred = values - values.mean()
        out[members] = centred / (values.std(ddof=1) + eps) if std else centred
    return out
