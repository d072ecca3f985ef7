"""Independent reference for DeLongTests: the fast DeLong algorithm of Sun & Xu (2014, IEEE SPL 21(11)), which
computes the placements from midranks instead of pairwise comparisons, in plain Python (no numpy), and the normal
tail from math.erfc. Prints AUC A, AUC B, the standard error of the difference, z and p for the fixed data below.
Run: python3 tests/Amil.MLNet.Tests/Reference/delong_reference.py"""
import math

truth = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]
a = [0.91, 0.84, 0.77, 0.62, 0.58, 0.55, 0.40, 0.33, 0.61, 0.45, 0.30, 0.28, 0.20, 0.15, 0.12, 0.55, 0.08, 0.05, 0.70, 0.33]
b = [0.70, 0.52, 0.81, 0.44, 0.61, 0.30, 0.52, 0.25, 0.65, 0.52, 0.41, 0.22, 0.35, 0.30, 0.18, 0.47, 0.26, 0.10, 0.66, 0.05]


def midranks(x):
    order = sorted(range(len(x)), key=lambda i: x[i])
    ranks = [0.0] * len(x)
    i = 0
    while i < len(x):
        j = i
        while j < len(x) and x[order[j]] == x[order[i]]:
            j += 1
        for k in range(i, j):
            ranks[order[k]] = 0.5 * (i + j - 1) + 1
        i = j
    return ranks


def placements(scores):
    pos = [s for s, t in zip(scores, truth) if t == 1]
    neg = [s for s, t in zip(scores, truth) if t == 0]
    m, n = len(pos), len(neg)
    tx, ty, tz = midranks(pos), midranks(neg), midranks(pos + neg)
    auc = sum(tz[:m]) / (m * n) - (m + 1) / (2 * n)
    v01 = [(tz[i] - tx[i]) / n for i in range(m)]
    v10 = [1 - (tz[m + j] - ty[j]) / m for j in range(n)]
    return auc, v01, v10


def cov(x, y):
    mx, my = sum(x) / len(x), sum(y) / len(y)
    return sum((p - mx) * (q - my) for p, q in zip(x, y)) / (len(x) - 1)


auc_a, v01a, v10a = placements(a)
auc_b, v01b, v10b = placements(b)
m, n = len(v01a), len(v10a)
var = (cov(v01a, v01a) + cov(v01b, v01b) - 2 * cov(v01a, v01b)) / m + (
    cov(v10a, v10a) + cov(v10b, v10b) - 2 * cov(v10a, v10b)) / n
se = math.sqrt(var)
z = (auc_a - auc_b) / se
p = math.erfc(abs(z) / math.sqrt(2))
print(f"{auc_a!r} {auc_b!r} {se!r} {z!r} {p!r}")
