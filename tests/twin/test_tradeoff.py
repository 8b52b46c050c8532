"""The architect's trade-off as a scope asked on the command line."""

import pytest

from twin.tradeoff import ANY, TradeOffScope


@pytest.mark.parametrize(
    ("text", "tier", "lane", "on_time", "co2"),
    [
        ("gold=on_time:3", "gold", ANY, 3.0, 0.0),
        ("*=on_time:2,co2:0.5", ANY, ANY, 2.0, 0.5),
        ("silver/DAL-HOU=co2:1", "silver", "DAL-HOU", 1.0, 1.0),
        ("*/CHI-LAX=co2:0,on_time:10", ANY, "CHI-LAX", 10.0, 0.0),
    ],
)
def test_a_scope_reads_its_tier_lane_and_weights_and_keeps_face_value_for_the_rest(text, tier, lane, on_time, co2):
    scope = TradeOffScope.parse(text)
    assert (scope.tier, scope.lane, scope.on_time, scope.co2) == (tier, lane, on_time, co2)
    assert TradeOffScope.parse(str(scope)) == scope


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("gold", "SCOPE="),
        ("gold=", "SCOPE="),
        ("platinum=on_time:2", "platinum"),
        ("gold/NOPE-X=on_time:2", "NOPE-X"),
        ("gold/DAL=on_time:2", "'DAL'"),
        ("gold=speed:2", "speed:2"),
        ("gold=on_time:2,on_time:3", "on_time:3"),
        ("gold=on_time:fast", "fast"),
        ("gold=on_time:11", "outside 0..10"),
        ("gold=co2:-1", "outside 0..10"),
    ],
)
def test_a_bad_scope_is_refused_naming_what_is_wrong(text, named):
    with pytest.raises(ValueError) as refused:
        TradeOffScope.parse(text)
    assert named in str(refused.value)
