"""The day-by-day simulation: deterministic runs, the exactly-once check, the scripted planner and the command."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from agents import attribution, maintenance
from agents.policy import CohortLevel
from agents.schemas import Decision, Impact
from cli.main import app
from evals.soundness import violations
from graph.records import audit
from simulation.report import effects_tables
from simulation.run import (
    ActionAttribution,
    Planner,
    Playbook,
    Repeats,
    SimulationRun,
    compare,
    repeats,
    simulate,
    with_realised,
)
from tests.faults.server import ROOT
from tests.records import decided
from tools import costs
from tools.costs import Rates
from twin import models as m
from twin import store
from twin.actions import RetenderLoads, parse_action
from twin.days import CapacityMiss, DayReport
from twin.db import make_engine, session_scope
from twin.settings import Settings
from twin.tradeoff import TradeOffScope


def test_a_rules_run_is_deterministic_acts_once_per_subject_and_records_outcomes(trained_dir, seeded_twins):
    settings = Settings(data_dir=trained_dir)
    first = simulate(settings, "rules", 1, 7, Planner(), twins=seeded_twins)
    second = simulate(settings, "rules", 1, 7, Planner())  # its own twin, built afresh
    assert [d.model_dump() for d in first.days] == [d.model_dump() for d in second.days]
    assert first.repeats.clean
    last = first.days[-1]
    assert last.decisions["executed"] == sum(d.exceptions for d in first.days) > 0
    assert sum(last.outcomes.values()) == last.decisions["executed"] and "unchecked" not in last.outcomes
    assert first.totals["on_time"] + first.totals["late"] > 0
    assert first.totals["cost_usd"] == pytest.approx(sum(d.cost_usd for d in first.days))
    none = simulate(settings, "none", 1, 7, Planner(), twins=seeded_twins)
    assert none.days[-1].decisions == {} and none.totals["action_usd"] == 0
    assert none.totals["freight_usd"] == first.totals["freight_usd"]  # the same world under both policies


def test_no_decision_in_the_cool_down_and_every_policy_pays_the_same_replenishment_rates(trained_dir, seeded_twins):
    settings = Settings(data_dir=trained_dir)
    run = simulate(settings, "rules", 1, 11, Planner(), warmup=1, cooldown=1, twins=seeded_twins)
    assert len(run.days) == 2  # the warm-up day is not measured
    assert run.days[-1].exceptions == 0 and run.days[-1].action_usd == 0  # nothing decided after the window
    assert all(day.replenishment_usd > 0 for day in run.days)  # normal replenishment runs under the playbook
    assert run.totals["ending_stock_usd"] > 0
    services = next((row for row in run.attribution if row.action_type == "schedule_maintenance"), None)
    if services is not None:  # the playbook's services are priced at workshop rates, never free
        assert services.spend_usd == services.count * costs.workshop_visit(
            Rates.of([]), "routine", maintenance.service_hours(0.0)
        )


def test_paired_intervals_over_seeds_cover_the_per_seed_differences():
    runs = [
        SimulationRun(
            seed=seed,
            policy=policy,
            planner=Planner(),
            days=[],
            totals={"cost_usd": cost},
            repeats=Repeats(actions_run_twice=[], exceptions_decided_twice=[], subjects_acted_on_twice=[]),
            wall_seconds=0.0,
        )
        for seed, policy, cost in [(7, "desk", 90.0), (7, "none", 100.0), (11, "desk", 80.0), (11, "none", 94.0)]
    ]
    comparison = compare(runs)
    difference = comparison.differences["desk - none"]["cost_usd"]
    assert difference.mean == -12.0  # paired: -10 on seed 7, -14 on seed 11
    # t(0.975, 1) = 12.706; the standard error of (-10, -14) is 2
    assert difference.low == pytest.approx(-12.0 - 12.706 * 2, abs=1e-2) and difference.high < 15
    assert comparison.kpis["cost_usd"]["none"].mean == 97.0


def test_realised_savings_share_each_domains_avoided_cost_against_none():
    def run(policy: str, totals: dict[str, float], rows: list[ActionAttribution]) -> SimulationRun:
        clean = Repeats(actions_run_twice=[], exceptions_decided_twice=[], subjects_acted_on_twice=[])
        return SimulationRun(
            seed=7, policy=policy, planner=Planner(), days=[], totals=totals, attribution=rows, repeats=clean,
            wall_seconds=0.0,
        )  # fmt: skip

    outcomes = {
        "freight_usd": 0.0,
        "lost_margin_usd": 0.0,
        "late_penalty_usd": 0.0,
        "breakdown_usd": 0.0,
        "downtime_usd": 0.0,
    }
    idle = run("none", {**outcomes, "late_penalty_usd": 9000.0, "breakdown_usd": 3500.0}, [])
    rows = [
        ActionAttribution(action_type="expedite_shipment", count=2, spend_usd=800, expected_saving_usd=3000, domain="deliveries"),
        ActionAttribution(action_type="notify_customer", count=4, spend_usd=100, expected_saving_usd=1000, domain="deliveries"),
        ActionAttribution(action_type="schedule_maintenance", count=1, spend_usd=900, expected_saving_usd=0, domain="fleet"),
        ActionAttribution(action_type="retender_loads", count=1, spend_usd=50, expected_saving_usd=0, domain="carriers"),
    ]  # fmt: skip
    desk = run("desk", {**outcomes, "late_penalty_usd": 5000.0, "downtime_usd": 500.0}, rows)
    realised = {row.action_type: row.realised_saving_usd for row in with_realised([desk, idle])[0].attribution}
    assert realised == {
        "expedite_shipment": 3000.0,  # 4,000 of penalties avoided, three quarters of the expected saving
        "notify_customer": 1000.0,
        "schedule_maintenance": 3000.0,  # 3,500 of breakdowns avoided less 500 of downtime, all by the one type
        "retender_loads": None,  # a carrier's cover shows only in late deliveries: not apportioned
    }
    assert with_realised([desk])[0].attribution == rows  # no `none` run on the seed: nothing realised


ASKED = [TradeOffScope.parse("gold=on_time:10")]


@pytest.fixture(scope="module")
def desk_day(trained_dir, seeded_twins, tmp_path_factory) -> tuple[SimulationRun, Path]:
    """One desk day on seed 7 under a trade-off that favours gold loads' on-time delivery, checked for soundness,
    with its twin kept: read by the tests below."""
    kept = tmp_path_factory.mktemp("desk-day") / "kept"
    planner = Planner(reject_above_usd=1000.0)
    settings = Settings(data_dir=trained_dir)
    run = simulate(
        settings, "desk", 1, 7, planner, check=violations, keep_twin=kept, tradeoffs=ASKED, twins=seeded_twins
    )
    return run, kept


@pytest.mark.slow
def test_a_desk_day_plans_its_week_and_tenders_executes_no_action_twice_and_keeps_every_invariant(
    desk_day, trained_dir, seeded_twins
):
    run, _ = desk_day
    assert run.days[0].exceptions > 0
    assert run.repeats.actions_run_twice == [] and run.repeats.exceptions_decided_twice == []
    assert run.repeats.subjects_acted_on_twice == []
    assert sum(run.days[0].decisions.values()) == run.days[0].exceptions
    assert "pending_approval" not in run.days[0].decisions  # the scripted planner answered every waiting decision
    assert [row.count for row in run.attribution if row.action_type == "plan_tenders"] == [1]
    assert run.days[0].spend_by_action.get("plan_tenders", 0.0) == 0.0  # each shipment it tenders pays its freight
    assert run.soundness is not None and run.soundness.decisions == sum(run.days[0].decisions.values())
    assert run.soundness.violations == []

    settings, planner = Settings(data_dir=trained_dir), Planner(reject_above_usd=1000.0)
    reactive = simulate(settings, "reactive", 1, 7, planner, twins=seeded_twins)
    assert not any(row.action_type == "plan_tenders" for row in reactive.attribution)
    # the same day without its tender, maintenance and positioning plans; trucks the week's plan booked are not raised
    # one by one
    assert run.days[0].exceptions - 3 <= reactive.days[0].exceptions


def _acted(session: Session, n: int, action_type: str, params: dict) -> None:
    """Decision DEC-n on exception EXC-n (raised on 2026-11-03) executed one action."""
    decision_id = decided(session, str(n), datetime(2026, 11, 3, 9, tzinfo=UTC))
    session.add(
        m.ActionRecord(
            id=f"{decision_id}-A1", decision_id=decision_id, type=action_type, params=params, status="executed"
        )
    )


def test_the_check_finds_an_action_run_twice_and_a_subject_acted_on_twice(engine):
    with Session(engine) as session:
        for n in (1, 2):
            _acted(session, n, "expedite_shipment", {"shipment_id": "SHP-009300"})
        audit(session, "action.executed", "test", None, "DEC-1", action_id="DEC-1-A1")
        audit(session, "action.executed", "test", None, "DEC-1", action_id="DEC-1-A1")
        session.commit()
        found = repeats(session)
    assert found.actions_run_twice == ["DEC-1-A1"]
    assert found.subjects_acted_on_twice == ["expedite_shipment SHP-009300 on 2026-11-03 (DEC-1, DEC-2)"]
    assert not found.clean


def test_retraining_two_models_the_same_day_acts_on_two_subjects_and_one_model_twice_is_caught(engine):
    with Session(engine) as session:
        for n, model in enumerate(("xgb-demand", "xgb-late-risk", "xgb-demand"), start=1):
            _acted(session, n, "recommend_retraining", {"model": model, "version": "v1", "reasons": ["drift"]})
        session.commit()
        found = repeats(session)
    assert found.subjects_acted_on_twice == ["recommend_retraining xgb-demand on 2026-11-03 (DEC-1, DEC-3)"]


def test_the_scripted_planner_rejects_above_its_bound():
    decision = Decision(
        decision_id="DEC-1",
        exception_id="EXC-1",
        specialist="routing",
        status="pending_approval",
        expected_impact=Impact(cost_usd=1200.0),
        trace_id="EXC-1",
    )
    assert Planner().verdict(decision).verdict == "approve"
    assert Planner(reject_above_usd=1000.0).verdict(decision).verdict == "reject"
    assert Planner(reject_above_usd=1500.0).verdict(decision).verdict == "approve"


def test_simulate_names_a_bad_policy_and_exits_non_zero():
    result = CliRunner().invoke(app, ["simulate", "--days", "1", "--policy", "always"])
    assert result.exit_code == 2
    assert "--policy" in result.output and "always" in result.output


@pytest.mark.parametrize("cohort", ["DAL-*", "DAL-*=sometimes", "dal-*=act", "DAL HOU=act"])
def test_simulate_names_a_bad_cohort_and_exits_non_zero(cohort):
    result = CliRunner().invoke(app, ["simulate", "--days", "1", "--cohort", cohort])
    assert result.exit_code == 2 and "--cohort" in result.output


@pytest.mark.parametrize(
    "tradeoff", ["gold", "platinum=on_time:2", "gold/DAL-NYC=on_time:2", "gold=on_time:11", "gold=speed:2"]
)
def test_simulate_names_a_bad_tradeoff_and_exits_non_zero(tradeoff):
    result = CliRunner().invoke(app, ["simulate", "--days", "1", "--tradeoff", tradeoff])
    assert result.exit_code == 2 and "--tradeoff" in result.output


@pytest.mark.slow
def test_a_desk_day_under_a_tradeoff_plans_its_tenders_with_it(desk_day):
    run, kept = desk_day
    assert run.tradeoffs == ASKED
    engine = make_engine(f"sqlite:///{kept / 'yardmaster.db'}")
    with session_scope(engine) as session:
        plans = [
            Decision.model_validate(row.payload)
            for row in session.exec(select(m.DecisionRecord)).all()
            if any(action["type"] == "plan_tenders" for action in row.payload["actions"])
        ]
    engine.dispose()
    assert plans, "the day's tender plan was decided"
    cited = [e.facts["rules"] for e in plans[0].evidence if e.id.startswith("tradeoff:")]
    assert {"tier": "gold", "lane": "*", "version": 1, "on_time": 10.0} in [
        {key: rule[key] for key in ("tier", "lane", "version", "on_time")} for rule in cited[0]
    ], "gold loads were weighed with the trade-off asked"


@pytest.mark.slow
def test_a_desk_day_in_shadow_outside_one_cohort_counts_its_shadowed_decisions(trained_dir, seeded_twins, tmp_path):
    cohorts = [CohortLevel.parse("DAL-*=act"), CohortLevel.parse("*=shadow")]
    kept = tmp_path / "kept"
    settings = Settings(data_dir=trained_dir)
    run = simulate(settings, "desk", 1, 7, Planner(), cohorts=cohorts, keep_twin=kept, twins=seeded_twins)
    assert run.cohorts == cohorts
    assert run.shadowed > 0 and run.shadowed == run.days[0].decisions.get("shadowed")
    assert run.effects is not None and run.effects.periods.measured.days == 1
    assert run.effects.periods.measured.start == run.days[0].day == run.effects.periods.went_live
    shadowed = sum(t.by_status.get("shadowed", 0) for t in run.effects.triggers)
    assert shadowed == run.shadowed, "every shadowed decision of the day is attributed"
    assert len(effects_tables(run)) == 2
    engine = make_engine(f"sqlite:///{kept / 'yardmaster.db'}")
    with session_scope(engine) as session:
        again = attribution.report(session, run.days[0].day, run.days[-1].day)
    engine.dispose()
    assert again == run.effects, "the kept twin gives the run's attribution again"
    assert run.repeats.actions_run_twice == []


def _desk_run_in_own_process(data_dir: Path, hash_seed: str) -> subprocess.Popen[str]:
    """`yardmaster simulate` of two desk days on seed 17 in a process of its own (its own string hashing)."""
    env = {**os.environ, "YM_DATA_DIR": str(data_dir), "PYTHONHASHSEED": hash_seed}
    command = [sys.executable, "-m", "cli", "simulate", "--days", "2", "--seed", "17", "--policy", "desk", "--json"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_two_desk_runs_with_the_same_arguments_make_the_same_decisions(trained_dir):
    runs = [_desk_run_in_own_process(trained_dir, hash_seed) for hash_seed in ("1", "2")]  # at once: racing timings
    bodies = [json.loads(run.communicate(timeout=840)[0])["runs"][0] for run in runs]
    assert all(run.returncode == 0 for run in runs)
    first, second = bodies
    assert first["decisions_digest"] == second["decisions_digest"] != ""
    assert first["days"] == second["days"] and first["totals"] == second["totals"]


def test_the_playbook_re_tenders_the_loads_of_a_carrier_that_announces_a_capacity_cut(toolbox):
    with toolbox.session() as session:
        busiest = session.exec(
            select(col(m.Shipment.carrier))
            .where(col(m.Shipment.carrier).is_not(None))
            .group_by(col(m.Shipment.carrier))
            .order_by(func.count().desc())
        ).first()
        now = store.clock(session)
    assert busiest is not None
    cut = CapacityMiss(carrier=busiest, cut_pct=50, until=now + timedelta(days=7))
    assert Playbook(toolbox).run(DayReport(day=now.date(), capacity_misses=[cut])) >= 1
    with toolbox.session() as session:
        [record] = session.exec(select(m.ActionRecord).where(m.ActionRecord.type == "retender_loads")).all()
    retender = parse_action(record.type, record.params)
    assert isinstance(retender, RetenderLoads) and record.status == "executed"
    assert retender.params.from_carrier == busiest and retender.params.assignments
    assert all(load.carrier != busiest for load in retender.params.assignments)
