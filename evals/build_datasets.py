"""Builds the generated eval data sets from the reference network of seed 7, deterministically, with expectations
read from the twin's own facts (scans, stock cover, telemetry drift, carrier loads).

Run `python -m evals.build_datasets` after a change to the twin's generator; `free_text` and `adversarial` are
written by hand.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agents.policy import PolicyRule
from evals.cases import DATASET_VERSION, DATASETS_DIR, SEED, Case
from twin import models as m
from twin.actions import GOVERNANCE_ACTIONS
from twin.actions import STOCK_ACTIONS as STOCK_ACTION_TYPES
from twin.seed import AS_OF, ScenarioBuilder

ACTED = ["executed", "pending_approval"]
ANY = ["executed", "pending_approval", "no_action"]
LATE_ACTIONS = ["expedite_shipment", "notify_customer", "switch_carrier"]
STOCK_ACTIONS = list(STOCK_ACTION_TYPES)
FLEET_ACTIONS = ["schedule_maintenance", "replan_route", "tender_stops"]
CAPACITY_ACTIONS = ["retender_loads", "book_spot"]
TENDER_ACTIONS = ["plan_tenders"]
TENDER_DAYS = (1, 5, 6)  # days ahead of the twin's clock: weekdays and weekends plan from different histories

AT_RISK_COVER_DAYS = 2  # stock that runs out before even an expedited order can land: doing nothing loses sales
WELL_STOCKED_DAYS = 24  # the 14-day horizon, the 3-day lead time and a week to spare
LATE_MARGIN_HOURS = 12  # a shipment projected this much ahead of its promise is safe
WINDOW_MARGIN_MIN = 120  # a route stop planned this long before its window closes is safe
SPIKE_RATIO = 1.5  # SOP-DEMAND-01: 1.5 times the usual rate is a spike
CAPACITY_CUTS = (25, 50, 100)
CARRIER_WEEKS = 8  # the routing specialist re-tenders the average loads of the last 8 weeks
FAILURE_HORIZON_DAYS = 14  # the failure-risk model predicts failures within 14 days
LATE_COUNTERFACTUALS = {  # more slack for the latest shipment, a long delay scan for one comfortably early
    "SHP-009227": {
        "edit": {"kind": "shift_promise", "target": "SHP-009227", "amount": 120},
        "changes": "decision",
        "output": "p_late",
        "direction": "down",
    },
    "SHP-009301": {
        "edit": {"kind": "add_delay_scan", "target": "SHP-009301", "amount": 3000},
        "changes": "decision",
        "output": "p_late",
        "direction": "up",
    },
}
MODEL_OUTPUTS = [r"P\((late|fail)\)", r"forecast"]  # what only a model run may state
SHORT_NAMES = {"stockout_risk": "stockout", "demand_spike": "spike"}


@dataclass
class Network:
    """The generated rows of the reference network, indexed for the questions the cases ask."""

    rows: dict
    truck_status: dict[str, tuple[str, int, int]]
    tiers: dict[str, str] = field(default_factory=dict)
    delays: dict[str, int] = field(default_factory=dict)
    demand: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    open_order_units: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def generate(cls) -> "Network":
        """Generate the network of SEED and index it."""
        builder = ScenarioBuilder(SEED)
        rows = builder.build(lambda _label: None)
        network = cls(rows=rows, truck_status=builder.truck_status)
        network.tiers = {row["code"]: row.get("tier", "standard") for row in rows[m.Location]}
        for scan in rows[m.ScanEvent]:
            network.delays[scan["shipment_id"]] = network.delays.get(scan["shipment_id"], 0) + scan["delay_minutes"]
        demand = defaultdict(list)
        for row in rows[m.DemandHistory]:
            demand[(row["sku"], row["location"])].append(row)
        network.demand = dict(demand)
        open_orders = {order["id"]: order["dc"] for order in rows[m.Order] if order["status"] == "open"}
        units = defaultdict(int)
        for line in rows[m.OrderLine]:
            if line["order_id"] in open_orders:
                units[(line["sku"], open_orders[line["order_id"]])] += line["qty"]
        network.open_order_units = dict(units)
        return network

    def shipments(self, status: str) -> list[dict]:
        """Shipments of a status, by id."""
        return sorted((row for row in self.rows[m.Shipment] if row["status"] == status), key=lambda row: row["id"])

    def daily_demand(self, sku: str, dc: str, days: int = 28) -> float:
        """Mean daily units over the last `days` days of history."""
        return sum(row["units"] for row in self.demand[(sku, dc)][-days:]) / days

    def cover_days(self, position: dict) -> float:
        """Days of demand the position covers: (on hand + in transit - allocated) / mean daily demand."""
        available = position["on_hand"] + position["in_transit"] - position["allocated"]
        return available / self.daily_demand(position["sku"], position["location"])

    def spiking(self, sku: str, dc: str) -> bool:
        """Whether the last 3 days ran at SPIKE_RATIO times the 28-day rate or had a promotion."""
        recent = self.demand[(sku, dc)][-3:]
        return sum(row["units"] for row in recent) / 3 > SPIKE_RATIO * self.daily_demand(sku, dc) or any(
            row["promo"] for row in recent
        )

    def weekly_loads(self, carrier: str) -> float:
        """The carrier's average loads a week over the last CARRIER_WEEKS weeks."""
        since = AS_OF - timedelta(weeks=CARRIER_WEEKS)
        return (
            sum(1 for row in self.rows[m.Shipment] if row["carrier"] == carrier and since <= row["shipped_at"] < AS_OF)
            / CARRIER_WEEKS
        )


def idle(expect: dict[str, Any]) -> dict[str, Any]:
    """A decision that can only end without actions asks no approval; one that needs information ran no model, so
    it must state no model output."""
    if not set(expect["status"]) <= {"no_action", "needs_info"}:
        return expect
    unmodelled = MODEL_OUTPUTS if expect["status"] == ["needs_info"] else []
    return {**expect, "requires_approval": False, "must_not_claim": [*expect.get("must_not_claim", []), *unmodelled]}


def case(
    case_id: str, category: str, note: str, exception: dict[str, Any], expect: dict[str, Any], **extra: Any
) -> Case:
    """A validated case of the current data set version."""
    return Case.model_validate(
        {
            "id": case_id,
            "version": DATASET_VERSION,
            "category": category,
            "note": note,
            "exception": exception,
            "expect": idle(expect),
            **extra,
        }
    )


def spread(items: list, count: int) -> list:
    """`count` items evenly spread over a list, first and last included when they fit."""
    if len(items) <= count:
        return list(items)
    step = (len(items) - 1) / (count - 1)
    return [items[round(k * step)] for k in range(count)]


def _transit_hours(shipment: dict) -> float:
    """Planned transit hours as the twin plans them: local 30 mph plus 2 h, linehaul 48 mph plus 8 h."""
    local = shipment["lane"][:3] == shipment["lane"][4:]
    return shipment["distance_miles"] / 30 + 2 if local else shipment["distance_miles"] / 48 + 8


def _in_transit_cases(net: Network) -> list[Case]:
    """In-transit shipments judged by their scans: running late, comfortably early, or close either way."""
    cases: list[Case] = []
    for shipment in net.shipments("in_transit"):
        code = shipment["id"]
        what_if = {"counterfactual": LATE_COUNTERFACTUALS[code]} if code in LATE_COUNTERFACTUALS else {}
        delay = net.delays.get(code, 0)
        projected = shipment["shipped_at"] + timedelta(hours=_transit_hours(shipment), minutes=delay)
        lateness = (projected - shipment["promised_at"]).total_seconds() / 3600
        exception = {"type": "late_shipment", "refs": {"shipment_id": code}, "source": "tms"}
        mentions = [code, shipment["lane"], "P(late)"]
        if lateness > 0:
            cases.append(
                case(
                    f"late-{code}",
                    "storyline",
                    f"its scans put it {lateness:.1f} h past its promise: "
                    "a recovery or at least a customer notice is due",
                    exception,
                    {"specialist": "routing", "status": ACTED, "action_types": LATE_ACTIONS, "mentions": mentions},
                    **what_if,
                )
            )
        elif lateness < -LATE_MARGIN_HOURS:
            cases.append(
                case(
                    f"late-{code}",
                    "nothing_to_do",
                    f"projected {-lateness:.1f} h ahead of its promise",
                    exception,
                    {"specialist": "routing", "status": ["no_action"], "mentions": mentions},
                    **what_if,
                )
            )
        else:
            cases.append(
                case(
                    f"late-{code}",
                    "routine",
                    f"projected {-lateness:.1f} h ahead of its promise: either answer can be right",
                    exception,
                    {"specialist": "routing", "status": ANY, "action_types": LATE_ACTIONS, "mentions": mentions},
                )
            )
    return cases


def _settled_shipment_cases(net: Network) -> list[Case]:
    """Shipments with nothing to recover (today's safe route stops, delivered ones) and unknown ids."""
    cases: list[Case] = []
    stops = {stop["shipment_id"]: stop for stop in net.rows[m.RouteStop]}
    windows = {row["code"]: row["window_end_min"] for row in net.rows[m.Location] if row["kind"] == "customer"}
    safe = [
        shipment
        for shipment in net.shipments("planned")
        if windows[shipment["destination"]] - stops[shipment["id"]]["eta_min"] >= WINDOW_MARGIN_MIN
    ]
    cases += [
        case(
            f"late-{s['id']}",
            "nothing_to_do",
            "an own-fleet stop planned at least 2 h before its window closes",
            {"type": "late_shipment", "refs": {"shipment_id": s["id"]}, "source": "chat"},
            {"specialist": "routing", "status": ["no_action"], "mentions": [s["id"], "P(late)"]},
        )
        for s in spread(safe, 10)
    ]
    cases += [
        case(
            f"late-{s['id']}",
            "nothing_to_do",
            "already delivered: nothing to recover",
            {"type": "late_shipment", "refs": {"shipment_id": s["id"]}, "source": "tms"},
            {
                "specialist": "routing",
                "status": ["no_action"],
                "mentions": [s["id"], "delivered"],
                "must_not_claim": [r"P\(late\)", "expedit"],
            },
        )
        for s in spread(net.shipments("delivered"), 10)
    ]
    unknown = [f"SHP-{len(net.rows[m.Shipment]) + 1:06d}", "SHP-999999", "SHP-000000"]
    cases += [
        case(
            f"late-unknown-{code}",
            "unknown_code",
            "the twin holds no such shipment",
            {"type": "late_shipment", "refs": {"shipment_id": code}},
            {"specialist": "routing", "status": ["needs_info"], "missing": ["shipment_id"], "mentions": [code]},
        )
        for code in unknown
    ]
    return cases


def late_shipment_cases(net: Network) -> list[Case]:
    """In-transit shipments judged by their scans, today's route stops, delivered shipments, unknown ids."""
    return [*_in_transit_cases(net), *_settled_shipment_cases(net)]


def _storyline_stock() -> list[Case]:
    """SKU-0042 short at DC-DAL, surplus at DC-HOU, open orders due: a transfer that routing must expedite."""
    refs = {"sku": "SKU-0042", "location": "DC-DAL"}
    mentions = ["SKU-0042", "DC-DAL", "DC-HOU"]
    return [
        case(
            "stock-stockout-SKU-0042-DC-DAL",
            "storyline",
            "2 days of cover, 40 at DC-HOU, open orders in 1-4 days: stock must arrive before a regular order lands",
            {"type": "stockout_risk", "refs": refs},
            {
                "specialist": "inventory",
                "status": ACTED,
                "action_types": STOCK_ACTIONS,
                "mentions": mentions,
            },
            counterfactual={
                "edit": {"kind": "set_on_hand", "target": "SKU-0042@DC-DAL", "amount": 3000},
                "changes": "decision",
            },
        ),
        case(
            "stock-spike-SKU-0042-DC-DAL",
            "storyline",
            "demand 2.6 times the usual rate for 3 days on 2 days of cover: new stock parameters and cover",
            {"type": "demand_spike", "refs": refs},
            {
                "specialist": "inventory",
                "status": ACTED,
                "action_types": STOCK_ACTIONS,
                "required_action_types": ["raise_safety_stock"],
                "mentions": mentions,
            },
        ),
    ]


def _stock_case(kind: str, position: dict, category: str, note: str, expect: dict) -> Case:
    """An inventory case on one stock position."""
    sku, dc = position["sku"], position["location"]
    return case(
        f"stock-{SHORT_NAMES[kind]}-{sku}-{dc}",
        category,
        note,
        {"type": kind, "refs": {"sku": sku, "location": dc}},
        {"specialist": "inventory", "mentions": [sku, dc], **expect},
    )


def _stock_elsewhere_and_unknown(net: Network) -> list[Case]:
    """The storyline SKU at DCs where it does not spike, and SKUs or DCs the twin does not hold."""
    cases: list[Case] = []
    cases += [
        case(
            f"stock-spike-SKU-0042-{dc}",
            "nothing_to_do",
            "the SKU-0042 spike is at DC-DAL only",
            {"type": "demand_spike", "refs": {"sku": "SKU-0042", "location": dc}},
            {"specialist": "inventory", "status": ["no_action"], "mentions": ["SKU-0042", dc]},
        )
        for dc in ("DC-HOU", "DC-CHI")
        if not net.spiking("SKU-0042", dc)
    ]
    unknown = [("SKU-0061", "DC-DAL", "sku"), ("SKU-9999", "DC-HOU", "sku"), ("SKU-0042", "DC-NYC", "location")]
    for sku, dc, missing in unknown:
        named = sku if missing == "sku" else dc
        cases.append(
            case(
                f"stock-unknown-{sku}-{dc}",
                "unknown_code",
                f"the twin holds no {missing} {named}",
                {"type": "stockout_risk", "refs": {"sku": sku, "location": dc}},
                {"specialist": "inventory", "status": ["needs_info"], "missing": [missing], "mentions": [named]},
            )
        )
    return cases


def stock_cases(net: Network) -> list[Case]:
    """The SKU-0042 storyline, short positions, well-stocked ones, spikes that are not, unknown codes."""
    positions = sorted(net.rows[m.InventoryPosition], key=lambda row: (row["sku"], row["location"]))
    storyline = ("SKU-0042", "DC-DAL")
    others = [p for p in positions if (p["sku"], p["location"]) != storyline]
    short = [p for p in others if net.cover_days(p) < AT_RISK_COVER_DAYS]
    plenty = [
        p
        for p in others
        if net.cover_days(p) >= WELL_STOCKED_DAYS and (p["sku"], p["location"]) not in net.open_order_units
    ]
    between = [p for p in others if AT_RISK_COVER_DAYS <= net.cover_days(p) < WELL_STOCKED_DAYS]
    calm = [p for p in plenty if not net.spiking(p["sku"], p["location"])]
    cases = _storyline_stock()
    cases += [
        _stock_case(
            "stockout_risk",
            p,
            "routine",
            f"{net.cover_days(p):.1f} days of cover: out before an expedited order can land",
            {"status": ACTED, "action_types": STOCK_ACTIONS},
        )
        for p in spread(short, 12)
    ]
    cases += [
        _stock_case(
            "stockout_risk",
            p,
            "nothing_to_do",
            f"{net.cover_days(p):.1f} days of cover and no open orders",
            {"status": ["no_action"]},
        )
        for p in spread(plenty, 10)
    ]
    cases += [
        _stock_case(
            "stockout_risk",
            p,
            "routine",
            f"{net.cover_days(p):.1f} days of cover: either answer can be right, priced against the replenishment",
            {"status": ANY, "action_types": STOCK_ACTIONS},
        )
        for p in spread(between, 4)
    ]
    cases += [
        _stock_case(
            "demand_spike",
            p,
            "nothing_to_do",
            "the last 3 days ran at the usual rate without a promotion, on ample cover",
            {"status": ["no_action"]},
        )
        for p in spread(calm, 6)
    ]
    return [*cases, *_stock_elsewhere_and_unknown(net)]


def _drifting_truck_cases(net: Network) -> list[Case]:
    """Trucks whose telemetry drifts toward a failure, TRK-007 the storyline."""
    cases: list[Case] = []
    drifting = sorted(code for code, (status, left, length) in net.truck_status.items() if 0 < left < length)
    for code in drifting:
        story, left = code == "TRK-007", net.truck_status[code][1]
        if left > FAILURE_HORIZON_DAYS:
            cases.append(
                case(
                    f"fleet-{code}",
                    "routine",
                    f"drifting, but the failure lies {left} days ahead, beyond "
                    "the model's horizon: either answer can be right",
                    {"type": "equipment_failure_risk", "refs": {"asset_id": code}, "source": "cmms"},
                    {
                        "specialist": "maintenance",
                        "status": ANY,
                        "action_types": FLEET_ACTIONS,
                        "mentions": [code, "P(fail)"],
                    },
                )
            )
            continue
        cases.append(
            case(
                f"fleet-{code}",
                "storyline" if story else "routine",
                f"telemetry drifting for days, a failure {left} days ahead: service now; its route must be re-planned",
                {"type": "equipment_failure_risk", "refs": {"asset_id": code}, "source": "cmms"},
                {
                    "specialist": "maintenance",
                    "status": ACTED,
                    "action_types": FLEET_ACTIONS,
                    "required_action_types": ["schedule_maintenance"],
                    "mentions": [code, "P(fail)"],
                    **({"handoffs": ["routing"], "requires_approval": True} if story else {}),
                },
                counterfactual={
                    "edit": {"kind": "healthy_telemetry", "target": code, "amount": FAILURE_HORIZON_DAYS},
                    "changes": "decision",
                    "output": "p_fail",
                    "direction": "down",
                },
            )
        )
    return cases


def _steady_truck_cases(net: Network) -> list[Case]:
    """A truck out of service, healthy trucks, and codes the twin does not hold."""
    cases: list[Case] = []
    down = sorted(code for code, (status, _, _) in net.truck_status.items() if status != "active")
    cases += [
        case(
            f"fleet-{code}",
            "routine",
            "out of service after a failure: either answer can be right",
            {"type": "equipment_failure_risk", "refs": {"asset_id": code}},
            {"specialist": "maintenance", "status": ANY, "action_types": FLEET_ACTIONS, "mentions": [code]},
        )
        for code in down
    ]
    quiet = sorted(
        code
        for code, (status, left, length) in net.truck_status.items()
        if status == "active" and (left == 0 or left == length)
    )
    cases += [
        case(
            f"fleet-{code}",
            "nothing_to_do",
            "no drift in its telemetry: routine maintenance only",
            {"type": "equipment_failure_risk", "refs": {"asset_id": code}},
            {
                "specialist": "maintenance",
                "status": ["no_action"],
                "mentions": [code, "P(fail)"],
                "must_not_claim": ["safety-critical"],
            },
        )
        for code in spread(quiet, 12)
    ]
    cases += [
        case(
            f"fleet-unknown-{code}",
            "unknown_code",
            "the twin holds no such truck",
            {"type": "equipment_failure_risk", "refs": {"asset_id": code}},
            {"specialist": "maintenance", "status": ["needs_info"], "missing": ["asset_id"], "mentions": [code]},
        )
        for code in ("TRK-041", "TRK-999")
    ]
    return cases


def fleet_cases(net: Network) -> list[Case]:
    """Trucks whose telemetry drifts (TRK-007 the storyline), one out of service, healthy ones, unknown codes."""
    return [*_drifting_truck_cases(net), *_steady_truck_cases(net)]


def carrier_cases(net: Network) -> list[Case]:
    """Every carrier losing a quarter, half or all of its capacity, and an unknown carrier."""
    cases = []
    for carrier in sorted(row["code"] for row in net.rows[m.Carrier]):
        loads = net.weekly_loads(carrier)
        for cut in CAPACITY_CUTS:
            exception = {
                "type": "carrier_capacity",
                "refs": {"carrier": carrier},
                "source": "tms",
                "description": f"{carrier} cuts {cut}% of its capacity for next week",
            }
            expect = {"specialist": "routing", "action_types": CAPACITY_ACTIONS, "mentions": [carrier]}
            if cut == 100 and loads >= 1:
                cases.append(
                    case(
                        f"capacity-{carrier}-{cut}",
                        "routine",
                        f"{loads:.1f} loads a week lose their carrier: they must go elsewhere",
                        exception,
                        {**expect, "status": ACTED, "mentions": [carrier, f"{cut}%"]},
                    )
                )
            else:
                cases.append(
                    case(
                        f"capacity-{carrier}-{cut}",
                        "routine",
                        f"{loads:.1f} loads a week, {cut}% cut: re-tender what is displaced, if anything",
                        exception,
                        {**expect, "status": ANY},
                    )
                )
    cases.append(
        case(
            "capacity-unknown-CAR-ACME",
            "unknown_code",
            "the twin holds no such carrier",
            {
                "type": "carrier_capacity",
                "refs": {"carrier": "CAR-ACME"},
                "description": "CAR-ACME cuts 50% of its capacity",
            },
            {"specialist": "routing", "status": ["needs_info"], "missing": ["carrier"], "mentions": ["CAR-ACME"]},
        )
    )
    return cases


POLICY_SUBJECTS = {  # decisions that execute within the default bounds (confidence at least 0.80)
    "CAR-REDRIVER-25": (
        {
            "type": "carrier_capacity",
            "refs": {"carrier": "CAR-REDRIVER"},
            "description": "CAR-REDRIVER cuts 25% of its capacity for next week",
        },
        "routing",
        ["retender_loads"],
    ),
    "CAR-BLUEGRID-25": (
        {
            "type": "carrier_capacity",
            "refs": {"carrier": "CAR-BLUEGRID"},
            "description": "CAR-BLUEGRID cuts 25% of its capacity for next week",
        },
        "routing",
        ["retender_loads"],
    ),
    "CAR-PRAIRIE-25": (
        {
            "type": "carrier_capacity",
            "refs": {"carrier": "CAR-PRAIRIE"},
            "description": "CAR-PRAIRIE cuts 25% of its capacity for next week",
        },
        "routing",
        ["retender_loads"],
    ),
    "SKU-0040-DC-DAL": (
        {"type": "stockout_risk", "refs": {"sku": "SKU-0040", "location": "DC-DAL"}},
        "inventory",
        ["transfer_stock"],
    ),
}
EDGES = {  # name: (margin on cost, margin on confidence, approval expected, what is tested)
    "cost-over": (-0.01, None, True, "the bound is 0.01 USD under the decision's cost"),
    "cost-at": (0.0, None, False, "the bound equals the decision's cost: within (the bound is inclusive)"),
    "cost-under": (0.01, None, False, "the bound is 0.01 USD over the decision's cost"),
    "confidence-over": (None, 0.01, True, "the least confidence is 0.01 above the decision's"),
    "confidence-at": (None, 0.0, False, "the least confidence equals the decision's: within"),
}


def _bound_edges() -> list[Case]:
    """Each subject's first action at level 3 with its cost and confidence bounds just under, at and just over."""
    cases: list[Case] = []
    for subject, (exception, specialist, actions) in POLICY_SUBJECTS.items():
        bounded = actions[0]
        for edge, (cost, confidence, approval, note) in EDGES.items():
            rule = PolicyRule(
                action_type=bounded,
                autonomy_level=3,
                level="act",
                max_cost_usd=None if cost is None else 0.0,
                min_confidence=None if confidence is None else 0.0,
            )
            cases.append(
                case(
                    f"policy-{subject}-{edge}",
                    "policy_edge",
                    f"{bounded} at level 3: {note}",
                    exception,
                    {
                        "specialist": specialist,
                        "status": ACTED,
                        "action_types": actions,
                        "required_action_types": actions,
                        "requires_approval": approval,
                    },
                    policy=[{"rule": rule.model_dump(), "cost_margin_usd": cost, "confidence_margin": confidence}],
                )
            )
    return cases


def _cohort_cases() -> list[Case]:
    """Rules by cohort: a lane's rule applies on that lane and not on another."""
    lane_rule = PolicyRule(action_type="transfer_stock", cohort="HOU-DAL", autonomy_level=2, level="recommend")
    stockout = POLICY_SUBJECTS["SKU-0040-DC-DAL"][0]
    return [
        case(
            "policy-SKU-0040-DC-DAL-lane-scope",
            "policy_edge",
            "transfer_stock on lane HOU-DAL needs approval there (level 2), whatever the global rule",
            stockout,
            {
                "specialist": "inventory",
                "status": ["pending_approval"],
                "action_types": STOCK_ACTIONS,
                "required_action_types": ["transfer_stock"],
                "requires_approval": True,
            },
            policy=[{"rule": lane_rule.model_dump()}],
        ),
        case(
            "policy-SKU-0040-DC-DAL-other-lane",
            "policy_edge",
            "a level-1 rule on another lane does not apply",
            stockout,
            {
                "specialist": "inventory",
                "status": ["executed"],
                "action_types": STOCK_ACTIONS,
                "required_action_types": ["transfer_stock"],
                "requires_approval": False,
            },
            policy=[{"rule": lane_rule.model_copy(update={"cohort": "DAL-HOU", "autonomy_level": 1}).model_dump()}],
        ),
    ]


def _level_cases() -> list[Case]:
    """Rules by level: 2 waits for approval, 4 never runs safety-critical work alone, 1 only recommends."""
    return [
        case(
            "policy-CAR-REDRIVER-25-level-2",
            "policy_edge",
            "level 2: every re-tender waits for approval",
            POLICY_SUBJECTS["CAR-REDRIVER-25"][0],
            {
                "specialist": "routing",
                "status": ["pending_approval"],
                "action_types": CAPACITY_ACTIONS,
                "requires_approval": True,
            },
            policy=[
                {"rule": PolicyRule(action_type="retender_loads", autonomy_level=2, level="recommend").model_dump()}
            ],
        ),
        case(
            "policy-TRK-007-level-4",
            "policy_edge",
            "SOP-SAFE-01: safety-critical work never executes automatically, even at level 4 for DC-DAL",
            {"type": "equipment_failure_risk", "refs": {"asset_id": "TRK-007"}},
            {
                "specialist": "maintenance",
                "status": ["pending_approval"],
                "action_types": FLEET_ACTIONS,
                "required_action_types": ["schedule_maintenance"],
                "requires_approval": True,
            },
            policy=[
                {
                    "rule": PolicyRule(
                        action_type="schedule_maintenance", cohort="DC-DAL", autonomy_level=4, level="act"
                    ).model_dump()
                }
            ],
        ),
        case(
            "policy-SHP-009227-level-1",
            "policy_edge",
            "level 1: the customer notice is recommended, not sent",
            {"type": "late_shipment", "refs": {"shipment_id": "SHP-009227"}},
            {
                "specialist": "routing",
                "status": ["pending_approval"],
                "action_types": LATE_ACTIONS,
                "requires_approval": True,
            },
            policy=[
                {"rule": PolicyRule(action_type="notify_customer", autonomy_level=1, level="recommend").model_dump()}
            ],
        ),
    ]


def policy_edge_cases() -> list[Case]:
    """Bounds just under, at and just over each subject's own cost and confidence; level and cohort rules."""
    return [*_bound_edges(), *_cohort_cases(), *_level_cases()]


def _sound_shipments(net: Network) -> list[Case]:
    """Overdue shipments (late by rule) and shipments running late (every plan priced whole)."""
    cases: list[Case] = []
    overdue = [row for row in net.shipments("in_transit") if row["promised_at"] < AS_OF]
    cases += [
        case(
            f"sound-overdue-{row['id']}",
            "routine",
            "past its promised time and not delivered: late by rule",
            {"type": "late_shipment", "refs": {"shipment_id": row["id"]}, "source": "tms"},
            {"specialist": "routing", "status": ANY, "action_types": LATE_ACTIONS, "mentions": [row["id"], "P(late)"]},
        )
        for row in spread(overdue, 10)
    ]
    running_late = [
        row
        for row in net.shipments("in_transit")
        if row["promised_at"] >= AS_OF
        and row["shipped_at"] + timedelta(hours=_transit_hours(row), minutes=net.delays.get(row["id"], 0))
        > row["promised_at"]
    ]
    cases += [
        case(
            f"sound-late-{row['id']}",
            "routine",
            "every plan is priced whole: an expedite or a carrier "
            "switch is never shown free, and a notice is not repeated",
            {"type": "late_shipment", "refs": {"shipment_id": row["id"]}, "source": "tms"},
            {"specialist": "routing", "status": ANY, "action_types": LATE_ACTIONS, "mentions": [row["id"], "P(late)"]},
        )
        for row in spread(running_late, 6)
    ]
    return cases


def _sound_stock(net: Network) -> list[Case]:
    """Demand spikes (reorder points never fall) and shortfalls with stock in transit (it counts)."""
    cases: list[Case] = []
    positions = sorted(net.rows[m.InventoryPosition], key=lambda row: (row["sku"], row["location"]))
    spiking = [row for row in positions if net.spiking(row["sku"], row["location"])]
    cases += [
        case(
            f"sound-spike-{row['sku']}-{row['location']}",
            "routine",
            "a spike, confirmed or not, never lowers the reorder point",
            {"type": "demand_spike", "refs": {"sku": row["sku"], "location": row["location"]}},
            {
                "specialist": "inventory",
                "status": ANY,
                "action_types": STOCK_ACTIONS,
                "mentions": [row["sku"], row["location"]],
            },
        )
        for row in spread(spiking, 14)
    ]
    in_transit = [row for row in positions if row["in_transit"] > 0]
    cases += [
        case(
            f"sound-stockout-{row['sku']}-{row['location']}",
            "routine",
            "stock in transit counts toward the need; a transfer stays within the need plus the safety stock",
            {"type": "stockout_risk", "refs": {"sku": row["sku"], "location": row["location"]}},
            {
                "specialist": "inventory",
                "status": ANY,
                "action_types": STOCK_ACTIONS,
                "mentions": [row["sku"], row["location"]],
            },
        )
        for row in spread(in_transit, 14)
    ]
    return cases


def _sound_plans(net: Network) -> list[Case]:
    """Capacity cuts with no figure given, the day's tender plans, the week's maintenance and positioning plans, and
    drifted models."""
    cases: list[Case] = []
    carriers = sorted(row["code"] for row in net.rows[m.Carrier])
    cases += [
        case(
            f"sound-capacity-{code}",
            "routine",
            "no cut stated: the whole weekly volume is assumed, and said",
            {"type": "carrier_capacity", "refs": {"carrier": code}, "source": "tms"},
            {"specialist": "routing", "status": ANY, "action_types": CAPACITY_ACTIONS, "mentions": [code]},
        )
        for code in carriers
    ]
    days = [(AS_OF + timedelta(days=k)).date().isoformat() for k in TENDER_DAYS]
    cases += [
        case(
            f"sound-tenders-{day}",
            "routine",
            "a tender plan keeps within every carrier's daily capacity and the loads expected, and beats the usual draw",
            {"type": "tender_plan", "refs": {"day": day}, "source": "planner"},
            {"specialist": "routing", "status": ANY, "action_types": TENDER_ACTIONS, "mentions": [day]},
        )
        for day in days
    ]
    week = AS_OF.date().isoformat()
    cases.append(
        case(
            f"sound-maintenance-week-{week}",
            "routine",
            "a weekly maintenance plan books no truck twice and keeps every workshop within its bays and technician "
            "hours each day",
            {"type": "maintenance_plan", "refs": {"day": week}, "source": "planner"},
            {"specialist": "maintenance", "status": ANY, "action_types": FLEET_ACTIONS, "mentions": [week]},
        )
    )
    cases.append(
        case(
            f"sound-positioning-{week}",
            "routine",
            "a positioning plan draws no DC below its safety stock and every transfer avoids more lost sales than it "
            "costs",
            {"type": "positioning_plan", "refs": {"day": week}, "source": "planner"},
            {"specialist": "inventory", "status": ANY, "action_types": STOCK_ACTIONS, "mentions": [week]},
        )
    )
    cases += [
        case(
            f"sound-drift-{model}",
            "routine",
            "a drifted or fallen model's decision never changes a model or a rule without an architect, and names the "
            "model",
            {"type": "model_drift", "refs": {"model": model}, "source": "detector"},
            {"specialist": "governance", "status": ANY, "action_types": list(GOVERNANCE_ACTIONS), "mentions": [model]},
        )
        for model in ("xgb-late-risk", "xgb-failure-risk")
    ]
    return cases


def _sound_fleet(net: Network) -> list[Case]:
    """Trucks serviced today (on no route that day) and the transfer a carrier must expedite (its cost is part of the
    plan)."""
    cases: list[Case] = []
    drifting = sorted(
        code
        for code, (_status, left, length) in net.truck_status.items()
        if 0 < left <= FAILURE_HORIZON_DAYS and left < length
    )
    cases += [
        case(
            f"sound-workshop-{code}",
            "routine",
            "a truck in the workshop today is on no route that day, and the workshop visit is priced",
            {"type": "equipment_failure_risk", "refs": {"asset_id": code}},
            {"specialist": "maintenance", "status": ANY, "action_types": FLEET_ACTIONS, "mentions": [code]},
        )
        for code in drifting
    ]
    cases.append(
        case(
            "sound-transfer-SKU-0042-DC-DAL",
            "storyline",
            "the carrier routing books for the transfer is part of the compared plan and of the gate's cost",
            {"type": "stockout_risk", "refs": {"sku": "SKU-0042", "location": "DC-DAL"}, "source": "wms"},
            {
                "specialist": "inventory",
                "status": ACTED,
                "action_types": STOCK_ACTIONS,
                "mentions": ["SKU-0042", "DC-DAL"],
            },
            policy=[
                {
                    "rule": PolicyRule(
                        action_type="transfer_stock",
                        autonomy_level=3,
                        level="act",
                        max_cost_usd=500.0,
                        min_confidence=0.8,
                    ).model_dump()
                }
            ],
        )
    )
    return cases


def soundness_cases(net: Network) -> list[Case]:
    """Cases built to catch the plans that do not add up: overdue shipments (overdue means late), demand spikes on
    many positions (reorder points never fall), shortfalls with stock in transit (it counts), capacity cuts with no
    figure given (the assumption is stated), trucks serviced today (not on a route that day) and the transfer that a
    carrier must expedite (its cost is part of the plan)."""
    return [*_sound_shipments(net), *_sound_stock(net), *_sound_plans(net), *_sound_fleet(net)]


def write_suite(name: str, cases: list[Case]) -> None:
    """Write a data set as JSONL, one case a line."""
    lines = [item.model_dump_json(exclude_defaults=True) for item in cases]
    (DATASETS_DIR / f"{name}.jsonl").write_text("\n".join(lines) + "\n")


def main() -> None:
    """Generate the network and write every generated data set."""
    net = Network.generate()
    suites = {
        "late_shipments": late_shipment_cases(net),
        "stock": stock_cases(net),
        "fleet": fleet_cases(net),
        "carriers": carrier_cases(net),
        "policy_edges": policy_edge_cases(),
        "soundness": soundness_cases(net),
    }
    for name, cases in suites.items():
        write_suite(name, cases)
        print(f"{name}: {len(cases)} cases")


if __name__ == "__main__":
    main()
