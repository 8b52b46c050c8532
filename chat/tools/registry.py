"""The chat's tools, built per conversation for the caller's role and named like the chat intents, as LangChain
tools that validate their arguments before they run and carry their typed results."""

from collections.abc import Callable
from functools import partial
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel

from chat.tools import carriers, decisions, fleet, kpis, plans, risks, shipments, stock, tradeoff, whatifs
from chat.tools.arguments import CODE_ARGS, checked
from chat.tools.decisions import DecisionActs
from chat.tools.tradeoff import TradeOffActs
from graph.desk import Desk
from twin.access import REPORTERS
from twin.roles import ARCHITECTS, VERDICT_ROLES

ACT_ROLES = {
    "report_exception": REPORTERS,
    "approve_decision": VERDICT_ROLES,  # each decision's own deciders: `DecisionActs.may_decide`
    "reject_decision": VERDICT_ROLES,
    "override_decision": VERDICT_ROLES,
    "set_tradeoff": ARCHITECTS,
}
VERDICTS = ("approve_decision", "reject_decision", "override_decision")
# Each tool's run and argument model, in the order a model sees them: reading tools take the toolbox, acts the caller.
TOOLS: dict[str, tuple[Callable[..., BaseModel], type[BaseModel]]] = {
    "explain_decision": (decisions.explain_decision, decisions.ExplainArgs),
    "risks_at_location": (risks.risks_at_location, risks.RisksArgs),
    "forecast_demand": (stock.forecast_demand, stock.ForecastArgs),
    "fleet_service_priority": (fleet.fleet_service_priority, fleet.FleetArgs),
    "what_if_capacity": (whatifs.what_if_capacity, whatifs.WhatIfArgs),
    "what_if_closure": (whatifs.what_if_closure, whatifs.ClosureArgs),
    "stock_risks": (stock.stock_risks, stock.StockRisksArgs),
    "list_decisions": (decisions.list_decisions, decisions.DecisionsArgs),
    "kpis": (kpis.kpis, kpis.NoArgs),
    "approve_decision": (DecisionActs.approve_decision, decisions.VerdictArgs),
    "reject_decision": (DecisionActs.reject_decision, decisions.VerdictArgs),
    "override_decision": (DecisionActs.override_decision, decisions.OverrideArgs),
    "report_exception": (DecisionActs.report_exception, decisions.ReportArgs),
    "compare_carriers": (carriers.compare_carriers, carriers.CarriersArgs),
    "days_of_cover": (stock.days_of_cover, stock.CoverArgs),
    "shipment_status": (shipments.shipment_status, shipments.ShipmentArgs),
    "shipment_risks": (shipments.shipment_risks, shipments.ShipmentRisksArgs),
    "plans": (plans.plans_in_force, plans.PlansArgs),
    "tradeoff": (tradeoff.tradeoff_in_force, tradeoff.TradeOffArgs),
    "set_tradeoff": (TradeOffActs.set_tradeoff, tradeoff.SetTradeOffArgs),
}


class Acts(DecisionActs, TradeOffActs):
    """Every act of one caller: on decisions and on the trade-off."""


class ChatTools:
    """The chat tools of one caller: they read the twin, models and solvers, and act through the desk as `actor`."""

    def __init__(self, desk: Desk, role: str, actor: str) -> None:
        self.tb, self.acts = desk.toolbox, Acts(desk, role, actor)

    def may(self, tool: str, args: dict[str, Any]) -> bool:
        """Whether the caller may do an act with these arguments: a role allowed the act, and for a verdict one that
        decides the decision named."""
        allowed = self.acts.role in ACT_ROLES.get(tool, ())
        return allowed and (tool not in VERDICTS or self.acts.may_decide(args.get("decision_id")))

    def canonical_codes(self, args: dict) -> dict:
        """The arguments of an act with every code checked against the twin and canonical (ToolException if not)."""
        with self.tb.session() as session:
            return {
                key: checked(session, key, str(value)) if key in CODE_ARGS and value else value
                for key, value in args.items()
            }

    def runs(self) -> dict[str, tuple[Callable[[BaseModel], BaseModel], type[BaseModel], str | None]]:
        """Each tool's run on validated arguments (bound to this caller), argument model and description."""
        return {
            name: (partial(run, self.acts if name in ACT_ROLES else self.tb), schema, run.__doc__)
            for name, (run, schema) in TOOLS.items()
        }


def as_tool(
    name: str, run: Callable[[BaseModel], BaseModel], schema: type[BaseModel], doc: str | None = None
) -> BaseTool:
    """A LangChain tool that validates its arguments, runs, and answers with the result as a JSON-ready dict; its
    tool message carries the typed result as the artifact."""

    def call(**kwargs) -> tuple[dict, BaseModel]:
        """Run the tool on validated arguments."""
        result = run(schema.model_validate(kwargs))
        return result.model_dump(mode="json", exclude_none=True), result

    return StructuredTool.from_function(
        func=call,
        name=name,
        description=" ".join((doc or run.__doc__ or "").split()),
        args_schema=schema,
        response_format="content_and_artifact",
        handle_tool_error=True,
    )


def as_tools(tools: ChatTools) -> list[BaseTool]:
    """The LangChain tools of a caller's chat tools."""
    return [as_tool(name, run, schema, doc) for name, (run, schema, doc) in tools.runs().items()]


def make_chat_tools(desk: Desk, principal_role: str, actor: str) -> list[BaseTool]:
    """The chat tools for one caller; they act as `actor` with the caller's role."""
    return as_tools(ChatTools(desk, principal_role, actor))
