"""Tests of the eval case schema and loading, and of the committed data sets' coverage."""

import json
from collections import Counter
from typing import get_args

import pytest
from pydantic import ValidationError

from agents.schemas import ExceptionType, Specialist
from evals.cases import DATASET_VERSION, Category, Expect, load_cases, load_suite, suite_names

BASE = {
    "id": "a",
    "version": 1,
    "category": "routine",
    "note": "n",
    "exception": {"type": "late_shipment", "refs": {"shipment_id": "SHP-000001"}},
    "expect": {"specialist": "routing", "status": ["no_action"]},
}


def write(folder, name: str, cases: list[dict]) -> None:
    """Write a small data set."""
    (folder / f"{name}.jsonl").write_text("\n".join(json.dumps(item) for item in cases) + "\n")


def test_a_suite_pulls_in_the_base_cases_its_variants_refer_to(tmp_path):
    write(tmp_path, "one", [BASE])
    write(tmp_path, "two", [{**BASE, "id": "b", "same_as": "a"}])
    assert [case.id for case in load_cases(["two"], tmp_path)] == ["b", "a"]
    assert [case.id for case in load_cases(None, tmp_path)] == ["a", "b"]


def test_duplicate_ids_unknown_references_and_unknown_suites_are_refused(tmp_path):
    write(tmp_path, "one", [BASE, BASE])
    with pytest.raises(ValueError, match="appears twice"):
        load_cases(None, tmp_path)
    write(tmp_path, "one", [{**BASE, "same_as": "zzz"}])
    with pytest.raises(ValueError, match="unknown case 'zzz'"):
        load_cases(None, tmp_path)
    with pytest.raises(ValueError, match="unknown eval suite"):
        load_suite("nope", tmp_path)


def test_a_required_action_must_be_allowed():
    with pytest.raises(ValidationError, match="not in action_types"):
        Expect(specialist="routing", status=["executed"], required_action_types=["notify_customer"])


def test_the_data_sets_cover_every_type_specialist_and_category_at_the_current_version():
    cases = load_cases()
    assert len(cases) >= 150
    assert suite_names() == sorted(
        {"adversarial", "carriers", "fleet", "free_text", "late_shipments", "policy_edges", "soundness", "stock"}
    )
    assert {case.version for case in cases} == {DATASET_VERSION}
    assert {case.exception.type for case in cases} >= set(ExceptionType)
    assert {case.expect.specialist for case in cases} == {*get_args(Specialist), None}
    categories = Counter(case.category for case in cases)
    assert set(categories) == set(get_args(Category))
    assert categories["nothing_to_do"] >= 20 and categories["adversarial"] >= 10
    assert sum(case.same_as is not None for case in cases) >= 20
    assert sum(case.counterfactual is not None for case in cases) >= 5
    assert all(case.expect.status == ["needs_info"] for case in cases if case.category in ("ambiguous", "unknown_code"))
    assert {"routing"} in [set(case.expect.handoffs or []) for case in cases if case.category == "storyline"]
