"""Readability of a justification: words per sentence and the Flesch-Kincaid grade, with a simple syllable count."""

import re

from pydantic import BaseModel

# A sentence ends at . ! or ? followed by a space and a capital, a digit or an opening bracket (so 0.82 and
# 2,093.9 do not end one).
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")
# A word: letters (with digits, underscores, hyphens or apostrophes inside, so SHP-009227 and slack_left_hours
# are one word each), or a number, date or time (1,745.43, 2026-11-01, 11:23).
WORD = re.compile(r"[A-Za-z][\w'-]*|\d[\d,.:-]*\d|\d")
VOWEL_GROUP = re.compile(r"[aeiouy]+")


class Readability(BaseModel):
    """Sentences, words, syllables, mean words per sentence and the Flesch-Kincaid grade of a text."""

    sentences: int
    words: int
    syllables: int
    words_per_sentence: float
    grade: float


def syllables(word: str) -> int:
    """Vowel groups of a word, less a silent final e; at least one (a number or code counts as one)."""
    lowered = word.lower()
    count = len(VOWEL_GROUP.findall(lowered))
    if count > 1 and lowered.endswith("e") and not lowered.endswith(("le", "ee", "ye")):
        count -= 1
    return max(1, count)


def readability(text: str) -> Readability:
    """Flesch-Kincaid grade = 0.39 words/sentence + 11.8 syllables/word - 15.59, from the counts of `text`."""
    sentences = [part for part in SENTENCE_END.split(text.strip()) if WORD.search(part)]
    words = WORD.findall(text)
    if not words:
        return Readability(sentences=0, words=0, syllables=0, words_per_sentence=0.0, grade=0.0)
    total = sum(syllables(word) for word in words)
    per_sentence = len(words) / len(sentences)
    grade = 0.39 * per_sentence + 11.8 * total / len(words) - 15.59
    return Readability(
        sentences=len(sentences),
        words=len(words),
        syllables=total,
        words_per_sentence=round(per_sentence, 2),
        grade=round(grade, 2),
    )
