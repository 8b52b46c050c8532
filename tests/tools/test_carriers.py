"""Tests of carrier ranking against hand-computed answers."""

import pytest

from tools.carriers import CarrierOption, ScoreWeights, rank_carriers


def option(carrier: str, rate: float, on_time: float, capacity: int, lane: str = "DAL-HOU", **extra) -> CarrierOption:
    return CarrierOption(
        carrier=carrier, lane=lane, rate_per_mile=rate, on_time_prob=on_time, capacity_loads=capacity, **extra
    )


OPTIONS = [
    option("CAR-SWIFTLINE", 2.0, 0.93, 1),
    option("CAR-METRO", 2.24, 0.81, 5),
    option("CAR-PRAIRIE", 1.5, 0.60, 0),
]


def test_ranking_matches_hand_computed_scores():
    ranking = rank_carriers(OPTIONS, miles=100)
    # SWIFTLINE: 0.5 x 1 + 0.4 x 0.93 + 0.1 x 1/5 = 0.892; METRO: 0.5 x 200/224 + 0.4 x 0.81 + 0.1 x 1 = 0.8704
    assert [(c.carrier, c.score) for c in ranking.ranking] == [("CAR-SWIFTLINE", 0.892), ("CAR-METRO", 0.8704)]
    assert ranking.ranking[1].components == {"cost": 0.8929, "on_time": 0.81, "capacity": 1.0}
    assert ranking.chosen == "CAR-SWIFTLINE"
    assert [(r.carrier, r.why) for r in ranking.rejected] == [
        ("CAR-METRO", "12% costlier, on-time 0.81 vs 0.93, score 0.87 vs 0.89"),
        ("CAR-PRAIRIE", "no capacity left"),
    ]
    assert ranking.evidence.facts["chosen"] == "CAR-SWIFTLINE"


def test_weights_change_the_ranking_and_co2_is_scored():
    options = [option("CAR-A", 2.0, 0.9, 4, co2_kg_per_mile=1.0), option("CAR-B", 2.0, 0.9, 4, co2_kg_per_mile=0.5)]
    ranking = rank_carriers(options, miles=10, weights=ScoreWeights(cost=1, on_time=0, capacity=0, co2=1))
    assert [(c.carrier, c.score) for c in ranking.ranking] == [("CAR-B", 1.0), ("CAR-A", 0.75)]
    assert "CO2 10 vs 5 kg" in ranking.rejected[0].why
    with pytest.raises(ValueError, match="co2"):
        rank_carriers(OPTIONS, miles=10, weights=ScoreWeights(co2=1))
