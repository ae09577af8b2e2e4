"""Which words of a question the plan did not use: the planner answers only when none is left.

Every pass of the planner marks the characters it read (``_Reader.taken``). What is left is cut
into words; a word is *used* when a pass took it, *empty* when it carries nothing a plan could
compute (an article, a question word, politeness, a Korean particle or verb ending — the
vocabulary in ``stopwords.py``), and otherwise *unused*. An unused word is the planner saying "I
did not understand this part": the answer would be to a narrower question than the one asked,
so the planner does not give it (``parse.Planner`` returns no plan, naming the words).
"""

from __future__ import annotations

import re

from loglens.agent.offline import stopwords

# Words, and the symbols that change what is computed ("%", ">", "<").
WORD = re.compile(r"[a-z0-9][a-z0-9_\-.']*|[\uac00-\ud7a3]+|%|[<>≥≤]=?")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def unused_words(text: str, taken: list[bool]) -> list[str]:
    """The words of ``text`` (the planner's normalised question) that no pass took and that
    carry meaning, in the order they occur."""
    unused: list[str] = []
    for match in WORD.finditer(text):
        start, end = match.start(), match.end()
        pieces = _untaken_pieces(match.group(0), taken[start:end])
        for piece, attached in pieces:
            if not _empty(piece, attached):
                unused.append(match.group(0) if attached else piece)
    return list(dict.fromkeys(unused))


def _untaken_pieces(word: str, taken: list[bool]) -> list[tuple[str, bool]]:
    """The untaken runs of a word, each with whether it hangs off a taken part (a particle or
    ending after a name: "에러가", "payment-api의")."""
    pieces: list[tuple[str, bool]] = []
    start: int | None = None
    for index, is_taken in enumerate([*taken, True]):
        if not is_taken and start is None:
            start = index
        elif is_taken and start is not None:
            pieces.append((word[start:index], start > 0 and taken[start - 1]))
            start = None
    return pieces


def _empty(piece: str, attached: bool) -> bool:
    piece = piece.strip(".-_'")
    if not piece:
        return True
    if HANGUL.search(piece):
        return _empty_korean(piece, attached)
    if attached and piece in stopwords.ENGLISH_SUFFIXES:
        return True  # "errors" after "error", "service's"
    return piece in stopwords.ENGLISH or (piece.isdigit() and attached)


def _empty_korean(piece: str, attached: bool) -> bool:
    if piece in stopwords.KOREAN_MEANINGFUL:
        return False
    if piece in stopwords.KOREAN:
        return True
    rest = piece
    while rest:
        ending = next((e for e in stopwords.KOREAN_ENDINGS_LONGEST_FIRST if rest.endswith(e)), None)
        if ending is None:
            break
        rest = rest[: -len(ending)]
        if rest in stopwords.KOREAN:
            return True
    if not rest:
        return True
    return attached and len(rest) == 1 and rest not in stopwords.KOREAN_MEANINGFUL
