"""Affinity between applicant and pilot cities, and the assignment that maximises it.

**Affinity.** Each applicant × pilot pair gets a score from 0 to 100, the weighted mean of four
parts, each between 0 and 1, every one of which can be explained in a sentence:

* *themes*: the weighted overlap of the two cities' challenge themes, sum(min(priority)) /
  sum(max(priority)) over the themes either names (both at priority 3 on mobility counts more
  than one at 3 and the other at 1);
* *size*: how close the populations are on a logarithmic scale (a tenfold difference is 0.5,
  a hundredfold 0); unknown sizes count 0.5;
* *language*: 1 when the cities share a working language;
* *complement*: the cosine similarity of TF-IDF vectors (scikit-learn) of what the applicant
  says it needs (its challenges) and what the pilot says it offers.

The organiser weighs the parts (``DEFAULT_WEIGHTS`` until changed).

**Assignment.** Every applicant gets one pilot, each pilot at most N twins, and the total
affinity is as large as possible. That is an assignment problem with capacities, and it is
solved exactly — not approximately — with SciPy's ``linear_sum_assignment`` (the
Jonker–Volgenant algorithm, O(n³)) by replicating each pilot as N identical columns ("slots"):
an assignment of applicants to slots is exactly an assignment of applicants to pilots in which
no pilot gets more than N, and the rectangular solver needs no dummy rows or columns when
applicants and slots differ in number. Organisers' decisions enter as follows:

* *locked* pairs are fixed first: their applicants leave the problem and each takes one slot
  of its pilot (a pilot left with no slot leaves the problem too);
* *forbidden* pairs (and, when asked, pairs of the same country) cost a large constant M
  instead of −affinity. A solution that uses one is worse than any that does not, so the
  solver first gives as many applicants as it can a permitted pilot and then maximises the
  affinity; a forbidden pair it could not avoid (every permitted slot taken) is dropped and
  that applicant is left unmatched.

So the result is, among the matchings that respect the rules and match as many applicants as
possible, one of greatest total affinity. ``greedy`` (best remaining pair first) is kept to
show organisers what the optimisation gains."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.feature_extraction.text import TfidfVectorizer

PARTS = ("themes", "size", "language", "complement")
DEFAULT_WEIGHTS = {"themes": 4.0, "size": 1.0, "language": 2.0, "complement": 3.0}
# The cost of a forbidden pair: more than any sum of affinities can make up for.
_FORBIDDEN_COST = 1e9
# Reasons are given for parts at least this strong.
_SIMILAR_SIZE = 0.75
_COMPLEMENT = 0.05


@dataclass(frozen=True)
class City:
    """What the matching reads of a city: an applicant's text is its challenges, a pilot's its offers."""

    id: int
    name: str
    country: str | None = None
    population: int | None = None
    themes: Mapping[str, int] = field(default_factory=dict)
    languages: frozenset[str] = frozenset()
    text: str = ""


@dataclass
class Affinity:
    """The scores (applicants × pilots, 0–100) and each part's matrix (0–1)."""

    scores: np.ndarray
    parts: dict[str, np.ndarray]
    vectorizer: TfidfVectorizer | None = None
    needs: object = None  # the applicants' TF-IDF rows
    offers: object = None  # the pilots' TF-IDF rows


def normalised_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """The organiser's weights for every part (defaults for those missing, none negative)."""
    merged = {**DEFAULT_WEIGHTS, **{k: float(v) for k, v in (weights or {}).items() if k in PARTS}}
    return {k: max(v, 0.0) for k, v in merged.items()}


def _theme_matrix(cities: Sequence[City], themes: Sequence[str]) -> np.ndarray:
    return np.array([[float(c.themes.get(t, 0)) for t in themes] for c in cities]).reshape(len(cities), len(themes))


def affinity(applicants: Sequence[City], pilots: Sequence[City], weights: Mapping[str, float] | None = None) -> Affinity:
    """Every applicant × pilot score and its parts."""
    w = normalised_weights(weights)
    n, m = len(applicants), len(pilots)
    themes = sorted({t for c in (*applicants, *pilots) for t in c.themes})
    a, p = _theme_matrix(applicants, themes), _theme_matrix(pilots, themes)
    shared = np.minimum(a[:, None, :], p[None, :, :]).sum(axis=2)
    either = np.maximum(a[:, None, :], p[None, :, :]).sum(axis=2)
    theme_part = np.divide(shared, either, out=np.zeros((n, m)), where=either > 0)

    def logs(cities: Sequence[City]) -> np.ndarray:
        return np.array([math.log10(c.population) if c.population and c.population > 0 else np.nan for c in cities])

    distance = np.abs(logs(applicants)[:, None] - logs(pilots)[None, :])
    size_part = np.where(np.isnan(distance), 0.5, np.clip(1 - distance / 2, 0, 1))

    languages = sorted({lang for c in (*applicants, *pilots) for lang in c.languages})
    la = np.array([[lang in c.languages for lang in languages] for c in applicants], dtype=float).reshape(n, -1)
    lp = np.array([[lang in c.languages for lang in languages] for c in pilots], dtype=float).reshape(m, -1)
    language_part = ((la @ lp.T) > 0).astype(float)

    complement_part, vectorizer, needs, offers = np.zeros((n, m)), None, None, None
    if any(c.text.strip() for c in applicants) and any(c.text.strip() for c in pilots):
        vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
        try:
            vectors = vectorizer.fit_transform([c.text for c in applicants] + [c.text for c in pilots])
        except ValueError:  # nothing but stop words
            vectorizer = None
        else:
            needs, offers = vectors[:n], vectors[n:]
            # TF-IDF rows are L2-normalised: their dot product is the cosine similarity.
            complement_part = np.asarray((needs @ offers.T).todense())

    parts = {"themes": theme_part, "size": size_part, "language": language_part, "complement": complement_part}
    total = sum(w.values())
    scores = sum(w[k] * parts[k] for k in PARTS) / total * 100 if total > 0 else np.zeros((n, m))
    return Affinity(scores=np.asarray(scores, dtype=float), parts=parts, vectorizer=vectorizer,
                    needs=needs, offers=offers)


def reasons(applicant: City, pilot: City, i: int, j: int, result: Affinity) -> list[list]:
    """Why the pair scores as it does, as [message key, parameters] to be put in words by the
    reader's language (see expo/twinning/queries.py)."""
    found: list[list] = []
    both = sorted(t for t, level in applicant.themes.items() if level >= 2 and pilot.themes.get(t, 0) >= 2)
    if both:
        found.append(["themes", {"themes": both}])
    if result.parts["size"][i, j] >= _SIMILAR_SIZE and applicant.population and pilot.population:
        found.append(["size", {}])
    common = sorted(applicant.languages & pilot.languages)
    if common:
        found.append(["language", {"languages": common}])
    if result.parts["complement"][i, j] >= _COMPLEMENT and result.vectorizer is not None:
        product = result.needs[i].multiply(result.offers[j]).toarray().ravel()
        top = [k for k in np.argsort(product)[::-1][:3] if product[k] > 0]
        names = result.vectorizer.get_feature_names_out()
        found.append(["complement", {"pilot": pilot.name, "applicant": applicant.name,
                                     "words": [str(names[k]) for k in top]}])
    return found


def forbidden_mask(applicants: Sequence[City], pilots: Sequence[City], forbidden: Iterable[tuple[int, int]] = (),
                   *, separate_countries: bool = False) -> np.ndarray:
    """Applicants × pilots: True where the pair may not be made (by index)."""
    mask = np.zeros((len(applicants), len(pilots)), dtype=bool)
    for i, j in forbidden:
        mask[i, j] = True
    if separate_countries:
        countries_a = np.array([c.country or "" for c in applicants], dtype=object)
        countries_p = np.array([c.country or "" for c in pilots], dtype=object)
        same = (countries_a[:, None] == countries_p[None, :]) & (countries_a[:, None] != "")
        mask |= same
    return mask


def _fixed(locked: Iterable[tuple[int, int]], n: int, capacity: int, m: int) -> tuple[dict[int, int], list[int]]:
    assignment: dict[int, int] = {}
    left = [capacity] * m
    for i, j in locked:
        if i in assignment:
            raise ValueError(f"applicant {i} is locked to two pilots")
        if left[j] <= 0:
            raise ValueError(f"pilot {j} has more locked pairs than places")
        assignment[i] = j
        left[j] -= 1
    return assignment, left


def assign(scores: np.ndarray, capacity: int, *, forbidden: np.ndarray | None = None,
           locked: Iterable[tuple[int, int]] = ()) -> dict[int, int]:
    """The optimal assignment, applicant index → pilot index (see the module's description)."""
    n, m = scores.shape
    assignment, left = _fixed(locked, n, capacity, m)
    rows = [i for i in range(n) if i not in assignment]
    slots = [j for j in range(m) for _ in range(left[j])]
    if not rows or not slots:
        return assignment
    cost = -scores[np.ix_(rows, slots)]
    blocked = forbidden[np.ix_(rows, slots)] if forbidden is not None else np.zeros_like(cost, dtype=bool)
    cost = np.where(blocked, _FORBIDDEN_COST, cost)
    chosen_rows, chosen_cols = linear_sum_assignment(cost)
    for r, c in zip(chosen_rows, chosen_cols):
        if not blocked[r, c]:
            assignment[rows[r]] = slots[c]
    return assignment


def greedy(scores: np.ndarray, capacity: int, *, forbidden: np.ndarray | None = None,
           locked: Iterable[tuple[int, int]] = ()) -> dict[int, int]:
    """Best remaining pair first: what a matching by hand would do, for comparison."""
    n, m = scores.shape
    assignment, left = _fixed(locked, n, capacity, m)
    for flat in np.argsort(-scores, axis=None, kind="stable"):
        i, j = divmod(int(flat), m)
        if i in assignment or left[j] <= 0 or (forbidden is not None and forbidden[i, j]):
            continue
        assignment[i] = j
        left[j] -= 1
    return assignment


def total(scores: np.ndarray, assignment: Mapping[int, int]) -> float:
    return float(sum(scores[i, j] for i, j in assignment.items()))
