"""Tests of the justification verifier: numbers, percentages, codes, dates and the evidence a claim cites."""

import pytest

from agents.schemas import Claim
from agents.verify import extract_tokens, verify_claim, verify_text
from tools.evidence import Driver, Evidence, Source

LATE_RISK = Evidence(
    id="late-risk:SHP-000123",
    source=Source(tool="late_risk", model="xgboost-late-risk", version="3.2.0+a1b2c3"),
    inputs={
        "shipment_id": "SHP-000123",
        "lane": "DAL-HOU",
        "carrier": "CAR-REDRIVER",
        "miles": "386.4",
        "history": {"by_week": [{"week": "2026-03-02", "late_rate": 0.31}]},
    },
    facts={"p_late": 0.8234, "cost_usd": 1249.6, "price": 1234.5},
    drivers=[
        Driver(feature="carrier_on_time_90d", value=0.81, contribution=-0.12),
        Driver(feature="weather_severity", value=2.5, contribution=0.4),
    ],
)
ROUTE = Evidence(
    id="routing-4f2a9c01d3e7",
    source=Source(tool="routing", model="pyvrp", version="0.14.1"),
    facts={
        "routes": {"RTE-20260301-TRK-007": ["CUST-0042", "CUST-0107"]},
        "procedure": "SOP-LATE-01#trigger",
        "note": "CAR-METRO: 12% costlier, on-time 0.81 vs 0.93",
    },
)
EVIDENCE = {record.id: record for record in (LATE_RISK, ROUTE)}


def _check(text: str, *ids: str):
    """Verify one sentence citing `ids` (by default both records)."""
    return verify_claim(Claim(text=text, evidence_ids=list(ids or EVIDENCE)), EVIDENCE)


def _unsupported(text: str, *ids: str) -> list[str]:
    """The tokens of `text` the cited evidence does not support."""
    return [token.text for token in _check(text, *ids).unsupported]


def test_a_sentence_grounded_in_its_evidence_passes():
    check = _check("SHP-000123 on DAL-HOU with CAR-REDRIVER has late risk 0.82; weather_severity 2.5 adds 0.4.")
    assert check.ok and check.unknown_evidence_ids == []
    assert [token.text for token in check.tokens] == ["SHP-000123", "DAL-HOU", "CAR-REDRIVER", "0.82", "2.5", "0.4"]


def test_an_invented_number_fails_and_is_named():
    check = _check("Late risk 0.91 on SHP-000123, saving 9,999 USD.")
    assert not check.ok
    assert [token.text for token in check.unsupported] == ["0.91", "9,999"]


@pytest.mark.parametrize("code", ["SHP-000124", "CAR-RED", "DC-HOU", "SOP-LATE-02", "TRK-008"])
def test_a_wrong_code_fails(code):
    assert _unsupported(f"Recover {code} today.") == [code]


@pytest.mark.parametrize("text", ["82%", "82.3%", "82 percent", "31%", "12%"])
def test_a_percentage_matches_a_fraction_or_a_written_percentage(text):
    assert _unsupported(f"Risk {text}.") == []


@pytest.mark.parametrize("text", ["83%", "82.4%", "8%"])
def test_a_wrong_percentage_fails(text):
    assert _unsupported(f"Risk {text}.") == [text]


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("0.82", True),
        ("0.823", True),
        ("0.8", True),
        ("1", True),
        ("0.83", False),
        ("0.8235", False),
        ("1,250", True),
        ("1,249.6", True),
        ("1250", True),
        ("1,250.00", False),
        ("1,249", False),
        ("3", True),
        ("2", True),  # weather_severity 2.5: either rounding of the half is accepted
    ],
)
def test_a_number_matches_when_the_evidence_rounds_to_it(text, ok):
    assert _check(f"Value {text} here.", LATE_RISK.id).ok is ok


def test_currency_thousands_and_negative_numbers():
    assert _unsupported("Price $1,234.50, i.e. 1,234.50 USD; on-time lowers it by -0.12.") == []
    assert _unsupported("On-time lowers it by 0.12.") == ["0.12"]


def test_numeric_strings_and_nested_values_count_but_booleans_do_not():
    assert _unsupported("Distance 386.4 miles, late rate 0.31 in the week of 2026-03-02.") == []
    flags = Evidence(id="flags", source=LATE_RISK.source, facts={"feasible": True, "late": False})
    assert [token.text for token in verify_text("1 route, 0 late.", [flags]).unsupported] == ["1", "0"]


def test_codes_inside_longer_evidence_strings_and_keys_pass():
    text = "Procedure SOP-LATE-01 applies; TRK-007 runs RTE-20260301-TRK-007 to CUST-0107; CAR-METRO is 12% costlier."
    assert _check(text, ROUTE.id).ok


def test_digits_of_codes_dates_and_words_are_not_numbers():
    tokens = extract_tokens("SKU-0042 at DC-DAL on 2026-03-01 08:30, CO2 450 kg, rolling_mean_28 high, two loads.")
    assert [(token.text, token.kind) for token in tokens] == [
        ("SKU-0042", "code"),
        ("DC-DAL", "code"),
        ("2026-03-01", "date"),
        ("08:30", "time"),
        ("450", "number"),
    ]
    assert _unsupported("Week of 2026-03-03.") == ["2026-03-03"]


def test_small_numbers_written_as_words_are_not_checked():
    check = _check("Two shipments and three trucks wait.")
    assert check.ok and check.tokens == []


def test_an_unknown_or_missing_evidence_id_fails():
    unknown = _check("SHP-000123 is late.", LATE_RISK.id, "late-risk:SHP-999999")
    assert not unknown.ok and unknown.unsupported == [] and unknown.unknown_evidence_ids == ["late-risk:SHP-999999"]
    assert not verify_claim(Claim(text="All good.", evidence_ids=[]), EVIDENCE).ok


def test_a_claim_is_checked_only_against_the_evidence_it_cites():
    assert _check("CUST-0042 is on the route.", ROUTE.id).ok
    assert _unsupported("CUST-0042 is on the route.", LATE_RISK.id) == ["CUST-0042"]


def test_free_text_is_checked_against_all_given_evidence():
    assert verify_text("CAR-REDRIVER risk 82%, route RTE-20260301-TRK-007.", [LATE_RISK, ROUTE]).ok
    check = verify_text("CAR-REDRIVER risk 82%, saving 9,999 USD.", [LATE_RISK])
    assert [token.text for token in check.unsupported] == ["9,999"]
