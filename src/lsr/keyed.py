"""Regular expressions tried only on text that holds their key words.

A key word is a string one of which every match of a pattern contains, read from the pattern
itself (Python's own parse of it, `re._parser`: the project pins Python 3.11, and a test checks
the keys against the patterns' matches), so a rule's pattern is skipped, with one substring test,
on the many sentences it cannot match. Used by the text layer and the extraction rules.
"""
from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from functools import lru_cache
from re import _constants as _sre, _parser as _sre_parser

# Characters that case-insensitive matching takes for ASCII letters but str.lower() does not turn into them.
_ASCII_CASE = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_KEYS_AT_MOST = 24


@lru_cache(maxsize=4096)
def lower_case(text: str) -> str:
    """The text in lower case, with the letters case-insensitive matching folds to ASCII folded too
    (as long as the text: no character's lower case is longer once U+0130 is folded)."""
    return (text if text.isascii() else text.translate(_ASCII_CASE)).lower()


def _literal(code: int, flags: int) -> str:
    """A pattern's literal character as it appears in `lower_case` text ('' when case-insensitive matching
    may take other characters for it than lower-casing gives)."""
    char = chr(code)
    if char.isascii():
        return char.lower()
    return char if not flags & re.I or char.lower() == char.upper() else ""


def _rarity(word: str) -> int:
    """How rarely text holds a word, roughly: its length, a character other than a letter, a space or
    common punctuation counting three."""
    return len(word) + 2 * sum(not (char.isalpha() or char in " ,.-()") for char in word)


def _required_words(items, flags: int) -> frozenset[str] | None:
    """Lower-case strings one of which every match of the parsed pattern `items` contains (the rarest
    the pattern offers: longest, then fewest); None when no such set is known."""
    choices, run = [], ""
    for op, value in [*items, (None, None)]:
        char = _literal(value, flags) if op is _sre.LITERAL else ""
        if char:
            run += char
            continue
        if run:
            choices.append(frozenset([run]))
            run = ""
        words = None
        if op is _sre.SUBPATTERN:
            words = _required_words(value[-1], (flags | value[1]) & ~value[2])
        elif op is _sre.ATOMIC_GROUP:
            words = _required_words(value, flags)
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT) and value[0] >= 1:
            words = _required_words(value[2], flags)
        elif op is _sre.ASSERT:
            words = _required_words(value[1], flags)
        elif op is _sre.BRANCH:
            alternatives = [_required_words(alternative, flags) for alternative in value[1]]
            if all(alternatives):
                union = frozenset().union(*alternatives)
                # A word holding another is redundant: text holding it holds the other.
                words = frozenset(w for w in union if not any(o != w and o in w for o in union))
        if words:
            choices.append(words)
    return min(choices, key=lambda words: (-min(8, *map(_rarity, words)), len(words)), default=None)


def _spellings(items) -> set[str]:
    """Every string a parsed pattern of letters, alternatives and optional parts matches, in lower case
    ('cases?|child' -> case, cases, child)."""
    spellings = {""}
    for op, value in items:
        if op is _sre.LITERAL:
            options = {chr(value).lower()}
        elif op is _sre.IN and all(kind is _sre.LITERAL for kind, _ in value):
            options = {chr(code).lower() for _, code in value}
        elif op is _sre.SUBPATTERN:
            options = _spellings(value[-1])
        elif op is _sre.BRANCH:
            options = set().union(*map(_spellings, value[1]))
        elif op is _sre.MAX_REPEAT and value[:2] == (0, 1):
            options = {""} | _spellings(value[2])
        else:
            raise ValueError(f"not a list of words: {op}")
        spellings = {start + end for start in spellings for end in options}
    return spellings


def words_of(pattern: str) -> frozenset[str]:
    """The words a pattern of words ('patients?|children') matches, in lower case."""
    return frozenset(_spellings(_sre_parser.parse(pattern)))


def _holds_any(text: str, keys: Iterable[str]) -> bool:
    """Whether the text's lower case (`lower_case`) holds one of the keys."""
    lowered = lower_case(text)
    for key in keys:        # a loop, not any(map(...)): this runs hundreds of times a record
        if key in lowered:
            return True
    return False


class Keyed:
    """A compiled regular expression tried only on text that holds one of its key words: strings
    read from the pattern, one of which every match contains (`_required_words`), so text without
    them cannot match. Same methods and results as the re.Pattern it wraps."""

    def __init__(self, pattern: str, flags: int = 0, requires: Callable[[str], object] | None = None):
        """`requires`: a test that text holding a match passes (that it names tacrolimus, for a
        pattern every match of which names it), tried before the key words."""
        self.regex = re.compile(pattern, flags)
        self.pattern = pattern
        self.requires = requires
        words = _required_words(_sre_parser.parse(pattern, flags), flags)
        self.keys = tuple(sorted(words, key=len)) if words and len(words) <= _KEYS_AT_MOST else ()

    def may_match(self, text: str) -> bool:
        if self.requires is not None and not self.requires(text):
            return False
        return not self.keys or _holds_any(text, self.keys)

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize):
        return self.regex.search(text, pos, endpos) if self.may_match(text) else None

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize):
        return self.regex.match(text, pos, endpos) if self.may_match(text) else None

    def fullmatch(self, text: str, pos: int = 0, endpos: int = sys.maxsize):
        return self.regex.fullmatch(text, pos, endpos) if self.may_match(text) else None

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize):
        return self.regex.finditer(text, pos, endpos) if self.may_match(text) else iter(())

    def split(self, text: str) -> list[str]:
        return self.regex.split(text) if self.may_match(text) else [text]

    def sub(self, replacement: str, text: str) -> str:
        return self.regex.sub(replacement, text) if self.may_match(text) else text


def key_test(patterns: Iterable[Keyed]) -> Callable[[str], bool]:
    """A test of text for the key words of all the patterns at once: text that fails it matches none
    of them, nor does any part of it (ASCII key words: a part's lower case is a part of the text's).
    Text always passes when a pattern has no key words."""
    keys = set()
    for pattern in patterns:
        if not pattern.keys or not all(key.isascii() for key in pattern.keys):
            return lambda text: True
        keys.update(pattern.keys)
    # A key holding another is redundant: text holding it holds the other.
    keys = tuple(sorted(key for key in keys if not any(other != key and other in key for other in keys)))
    return lambda text: _holds_any(text, keys)
