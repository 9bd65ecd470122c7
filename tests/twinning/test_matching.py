"""The affinity score and the assignment, against brute force on small cases."""
from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from expo.twinning import matching
from expo.twinning.matching import City


def _brute_force(scores, capacity, forbidden=None, locked=()):
    """Every way to give each applicant a pilot or none: the most matched, then the most affinity."""
    n, m = scores.shape
    locked = dict(locked)
    best = (-1, -1.0)
    for choice in itertools.product([None, *range(m)], repeat=n):
        if any(choice[i] != j for i, j in locked.items()):
            continue
        if any(j is not None and forbidden is not None and forbidden[i, j] and locked.get(i) != j
               for i, j in enumerate(choice)):
            continue
        if any(choice.count(j) > capacity for j in range(m)):
            continue
        matched = [(i, j) for i, j in enumerate(choice) if j is not None]
        key = (len(matched), round(sum(scores[i, j] for i, j in matched), 9))
        best = max(best, key)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_the_assignment_is_optimal_against_brute_force(seed):
    rng = random.Random(seed)
    n, m, capacity = rng.randint(2, 5), rng.randint(1, 3), rng.randint(1, 2)
    scores = np.array([[rng.uniform(0, 100) for _ in range(m)] for _ in range(n)])
    forbidden = np.array([[rng.random() < 0.25 for _ in range(m)] for _ in range(n)])
    locked = [(0, 0)] if seed % 3 == 0 else []

    result = matching.assign(scores, capacity, forbidden=forbidden, locked=locked)

    assert (len(result), round(matching.total(scores, result), 9)) == _brute_force(scores, capacity, forbidden, locked)
    assert all(list(result.values()).count(j) <= capacity for j in range(m))
    assert all(not forbidden[i, j] or (i, j) in locked for i, j in result.items())


def test_optimal_beats_greedy_where_greedy_is_short_sighted():
    scores = np.array([[10.0, 9.0], [8.0, 0.0]])

    optimal, greedy = matching.assign(scores, 1), matching.greedy(scores, 1)

    assert optimal == {0: 1, 1: 0}
    assert greedy == {0: 0, 1: 1}
    assert matching.total(scores, optimal) == 17.0 > matching.total(scores, greedy) == 10.0


def test_locked_pairs_are_kept_and_forbidden_pairs_never_made():
    scores = np.array([[90.0, 10.0], [80.0, 70.0], [60.0, 50.0]])
    forbidden = np.zeros_like(scores, dtype=bool)
    forbidden[1, 0] = True

    result = matching.assign(scores, 2, forbidden=forbidden, locked=[(0, 1)])

    assert result[0] == 1
    assert result[1] == 1
    assert result[2] == 0


def test_a_pilot_with_more_locked_pairs_than_places_is_refused():
    with pytest.raises(ValueError):
        matching.assign(np.zeros((2, 1)), 1, locked=[(0, 0), (1, 0)])


def test_the_same_country_rule_forbids_pairs_of_one_country():
    applicants = [City(1, "Gävle", country="SE"), City(2, "Turku", country="FI"), City(3, "Nowhere")]
    pilots = [City(10, "Umeå", country="SE"), City(11, "Espoo", country="FI")]

    mask = matching.forbidden_mask(applicants, pilots, separate_countries=True)

    assert mask.tolist() == [[True, False], [False, True], [False, False]]
    scores = np.array([[90.0, 10.0], [10.0, 90.0], [0.0, 0.0]])
    assert matching.assign(scores, 2, forbidden=mask) == {0: 1, 1: 0, 2: 0}


def test_affinity_explains_itself():
    gavle = City(1, "Gävle", population=100_000, themes={"mobility": 3, "waste": 2, "energy": 1},
                 languages=frozenset({"sv", "en"}),
                 text="We need to cut car traffic and find district heating without fossil fuel.")
    umea = City(10, "Umeå", population=130_000, themes={"mobility": 3, "waste": 3},
                languages=frozenset({"sv"}),
                text="Our district heating runs on biofuel and waste; bus lanes cut car traffic.")
    paris = City(11, "Paris", population=2_100_000, themes={"finance": 3}, languages=frozenset({"fr"}),
                 text="Green bonds and municipal budgets.")

    result = matching.affinity([gavle], [umea, paris])

    assert result.scores[0, 0] > result.scores[0, 1]
    assert result.parts["themes"][0, 0] == pytest.approx(5 / 7)
    assert result.parts["themes"][0, 1] == 0
    assert result.parts["language"][0].tolist() == [1.0, 0.0]
    assert result.parts["size"][0, 0] > 0.9 > result.parts["size"][0, 1]
    why = matching.reasons(gavle, umea, 0, 0, result)
    assert [key for key, _ in why] == ["themes", "size", "language", "complement"]
    assert why[0][1] == {"themes": ["mobility", "waste"]}
    assert why[2][1] == {"languages": ["sv"]}
    assert set(why[3][1]["words"]) <= {"district", "heating", "car", "traffic"}
    assert matching.reasons(gavle, paris, 0, 1, result) == []


def test_weights_change_the_score():
    a = [City(1, "A", themes={"energy": 3}, languages=frozenset({"en"}))]
    p = [City(2, "B", themes={"energy": 3}), City(3, "C", languages=frozenset({"en"}))]

    by_themes = matching.affinity(a, p, {"themes": 1, "size": 0, "language": 0, "complement": 0})
    by_language = matching.affinity(a, p, {"themes": 0, "size": 0, "language": 1, "complement": 0})

    assert by_themes.scores[0].tolist() == [100.0, 0.0]
    assert by_language.scores[0].tolist() == [0.0, 100.0]
