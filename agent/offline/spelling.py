"""Misspelled English words, corrected before any pass reads the question: "authentcation",
"timout", "paymnt", "respones". A word is corrected only to a word the planner reads
(``vocabulary.py``) or a part of a name in the data, and only when exactly one such word is that
close; a word it knows, a stop word, a number or a name with digits is never touched, and two
equally close candidates leave the word as it is (the planner then says it could not use it)."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable

from loglens.agent.offline import stopwords, vocabulary

# letters only, not part of a path, a name with '-'/'_'/'.', or a number ("user_0003", "/api/v1")
TOKEN = re.compile(r"(?<![\w\-./])[a-z]{5,}(?![\w\-/])")


def correct(text: str, names: Iterable[str] = ()) -> str:
    """``text`` (lower case, shorthand written out) with its misspelled words corrected."""
    known = _known(frozenset(names))
    return TOKEN.sub(lambda match: _closest(match.group(0), known), text)


@functools.lru_cache(maxsize=8)
def _known(names: frozenset[str]) -> frozenset[str]:
    """The words a misspelling may be corrected to: the same for every question on one profile."""
    return vocabulary.WORDS | names


def _closest(word: str, known: frozenset[str]) -> str:
    if word in known or word in stopwords.ENGLISH or word in vocabulary.LOOKALIKES:
        return word
    limit = 1 if len(word) < 10 else 2
    best: list[str] = []
    best_distance = limit + 1
    for candidate in known:
        if candidate[0] != word[0] or abs(len(candidate) - len(word)) > limit:
            continue
        if word.startswith(candidate) and word[len(candidate) :] not in ("s", "es"):
            continue  # "gatewayx" is another word than "gateway", not a misspelling of it
        if len(word) <= 7 and _substituted(word, candidate):
            continue  # "stock" and "stack", "routers" and "routes": in a short word, another word
        distance = _distance(word, candidate, min(best_distance, limit) + 1)
        if distance > limit:
            continue
        if distance < best_distance:
            best, best_distance = [candidate], distance
        elif distance == best_distance:
            best.append(candidate)
    stems = {candidate.removesuffix("s") for candidate in best}
    if len(stems) == 1 and best:  # "respones": "response" or "responses", the same word
        return max(best, key=len) if word.endswith("s") else min(best, key=len)
    return best[0] if len(best) == 1 else word


def _substituted(word: str, candidate: str) -> bool:
    """Whether the two differ by a changed letter (not one added, dropped or swapped)."""
    extra, missing = Counter(word) - Counter(candidate), Counter(candidate) - Counter(word)
    return extra.total() >= 1 and missing.total() >= 1


def _distance(a: str, b: str, stop: int) -> int:
    """Damerau-Levenshtein distance (with adjacent swaps), giving up at ``stop``."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) >= stop:
            return stop
        previous2, previous = previous, current
    return previous[-1]
