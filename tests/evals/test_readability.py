"""Tests of the readability scores: syllables, sentences and the Flesch-Kincaid grade."""

import pytest

from evals.readability import readability, syllables


@pytest.mark.parametrize(
    ("word", "count"),
    [
        ("the", 1),
        ("make", 1),
        ("table", 2),
        ("shipment", 2),
        ("delivery", 4),
        ("slack_left_hours", 3),
        ("SHP-009227", 1),
        ("1,745.43", 1),
    ],
)
def test_syllables_count_vowel_groups_less_a_silent_e(word, count):
    assert syllables(word) == count


def test_numbers_dates_and_codes_do_not_end_sentences():
    score = readability("Expected cost 1,250.50 USD on 2026-11-02 at 11:23. Confidence 0.82.")
    assert score.sentences == 2
    assert score.words == 10


def test_the_grade_follows_the_flesch_kincaid_formula():
    score = readability("The cat sat on the mat. The dog ran to the park.")
    assert (score.sentences, score.words, score.syllables) == (2, 12, 12)
    assert score.words_per_sentence == 6.0
    assert score.grade == pytest.approx(0.39 * 6 + 11.8 * 1 - 15.59, abs=0.01)


def test_an_empty_text_scores_zero():
    assert readability("   ").words == 0
