"""The compositional reader on its held-out questions: at least 90% read exactly."""

from evals.chat.compositional import score


def test_heldout_questions_are_read_at_least_90_percent():
    result = score()
    assert result.total >= 150
    assert result.accuracy >= 0.90, [(m.id, m.field) for m in result.misses]
