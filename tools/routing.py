"""Vehicle routing with capacities and time windows (VRPTW): one problem shape, solved by PyVRP or OR-Tools.

Times are minutes from the start of the plan; distances are in the locations' units (miles for latitude/longitude).
"""

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version as package_version
from itertools import accumulate, pairwise
from typing import Any, TypedDict, TypeVar

import numpy as np
import pyvrp
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from pydantic import BaseModel, Field, model_validator
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

from tools.evidence import Driver, Evidence, Source
from tools.geo import euclidean_matrix, haversine_matrix

M = TypeVar("M", bound=BaseModel)


class UnsupportedProblem(ValueError):
    """The problem cannot be expressed for the chosen engine."""


def _in_order(model: M, early: float, late: float | None, what: str) -> M:
    """The model itself when `late` (if given) is not before `early`; else a validation error naming `what`."""
    if late is not None and late < early:
        raise ValueError(f"{what} is before the start of its window")
    return model


class Location(BaseModel):
    """A point given either as planar x/y or as latitude/longitude degrees."""

    x: float | None = None
    y: float | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _one_kind(self) -> "Location":
        """Exactly one complete coordinate pair."""
        planar = self.x is not None and self.y is not None
        if planar == (self.lat is not None and self.lon is not None) or (planar and {self.lat, self.lon} != {None}):
            raise ValueError("a location needs either x and y, or lat and lon")
        return self

    @property
    def geographic(self) -> bool:
        """Whether this point is latitude/longitude."""
        return self.lat is not None

    @property
    def point(self) -> tuple[float, float]:
        """(x, y) for a planar point, (lat, lon) for a geographic one."""
        if self.lat is not None and self.lon is not None:
            return (self.lat, self.lon)
        if self.x is not None and self.y is not None:
            return (self.x, self.y)
        raise ValueError("a location needs either x and y, or lat and lon")


class Depot(BaseModel):
    """Where every route starts and ends, and its opening hours."""

    location: Location | None = None
    tw_early: float = 0.0
    tw_late: float = 1440.0

    @model_validator(mode="after")
    def _window(self) -> "Depot":
        """Opening before closing."""
        return _in_order(self, self.tw_early, self.tw_late, "depot tw_late")


class Stop(BaseModel):
    """A customer visit: demand delivered from the depot, service time and the window in which service starts."""

    id: str
    location: Location | None = None
    demand: int = Field(default=0, ge=0)
    service_minutes: float = Field(default=0.0, ge=0)
    tw_early: float = 0.0
    tw_late: float | None = Field(
        default=None, description="Latest service start; the depot's closing time when absent."
    )
    drop_penalty: float | None = Field(
        default=None,
        ge=0,
        description="Cost (distance units) of leaving the stop unserved; absent means it must be served.",
    )

    @model_validator(mode="after")
    def _window(self) -> "Stop":
        """Window opens before it closes."""
        return _in_order(self, self.tw_early, self.tw_late, f"stop {self.id}: tw_late")


class Vehicle(BaseModel):
    """A truck: capacity, shift window, cost of using it, and whether it can be dispatched."""

    id: str
    capacity: int = Field(ge=0)
    shift_start: float = 0.0
    shift_end: float | None = Field(
        default=None, description="Latest return to the depot; the depot's closing time when absent."
    )
    fixed_cost: float = Field(
        default=0.0, ge=0, description="Cost (distance units) of dispatching this vehicle at all."
    )
    available: bool = True

    @model_validator(mode="after")
    def _shift(self) -> "Vehicle":
        """Shift starts before it ends."""
        return _in_order(self, self.shift_start, self.shift_end, f"vehicle {self.id}: shift_end")


class PickupDelivery(BaseModel):
    """Goods loaded at one stop and unloaded at another, on the same vehicle, pickup first."""

    pickup: str
    delivery: str
    quantity: int = Field(ge=0)


class RoutingProblem(BaseModel):
    """A VRPTW instance: depot, stops, fleet, optional pickup-delivery pairs and optional explicit matrices."""

    depot: Depot
    stops: list[Stop]
    vehicles: list[Vehicle]
    pairs: list[PickupDelivery] = Field(default_factory=list)
    distance_matrix: list[list[float]] | None = Field(
        default=None, description="Square matrix over [depot, *stops], in distance units; replaces the locations."
    )
    duration_matrix: list[list[float]] | None = Field(
        default=None, description="Square matrix over [depot, *stops], in minutes; given together with distance_matrix."
    )
    speed_mph: float = Field(default=40.0, gt=0, description="Travel speed turning great-circle miles into minutes.")
    precision: int = Field(default=10, ge=1, description="Integer solver units per distance unit and per minute.")

    def located(self) -> list[Location]:
        """The depot's and the stops' locations in node order (ValueError when one is missing)."""
        locations = [self.depot.location, *(s.location for s in self.stops)]
        found = [loc for loc in locations if loc is not None]
        if len(found) < len(locations):
            raise ValueError("every stop and the depot need a location when no matrices are given")
        return found

    @model_validator(mode="after")
    def _consistent(self) -> "RoutingProblem":
        """Unique ids, matrices or locations for every node, and well-formed pairs."""
        for kind, ids in (("stop", [s.id for s in self.stops]), ("vehicle", [v.id for v in self.vehicles])):
            if len(set(ids)) != len(ids):
                raise ValueError(f"{kind} ids must be unique")
        if (self.distance_matrix is None) != (self.duration_matrix is None):
            raise ValueError("give distance_matrix and duration_matrix together")
        if self.distance_matrix is not None and self.duration_matrix is not None:
            size = len(self.stops) + 1
            for matrix in (self.distance_matrix, self.duration_matrix):
                if len(matrix) != size or any(len(row) != size or min(row) < 0 for row in matrix):
                    raise ValueError(f"matrices must be {size}x{size} (depot first, then stops) and non-negative")
        else:
            if len({loc.geographic for loc in self.located()}) > 1:
                raise ValueError("mixing x/y and lat/lon locations")
        for vehicle in self.vehicles:
            shift_end = self.depot.tw_late if vehicle.shift_end is None else vehicle.shift_end
            if max(vehicle.shift_start, self.depot.tw_early) > min(shift_end, self.depot.tw_late):
                raise ValueError(f"vehicle {vehicle.id}: shift lies outside the depot's opening hours")
        self._check_pairs()
        return self

    def _check_pairs(self) -> None:
        """Pairs name distinct existing stops, each stop in one pair at most, carrying no depot demand."""
        stops = {s.id: s for s in self.stops}
        seen: set[str] = set()
        for pair in self.pairs:
            ends = (pair.pickup, pair.delivery)
            if pair.pickup == pair.delivery or any(end not in stops or end in seen for end in ends):
                raise ValueError(f"pair {ends}: pickup and delivery must be two distinct stops, each in one pair")
            seen.update(ends)
            if any(stops[end].demand for end in ends):
                raise ValueError(f"pair {ends}: paired stops carry the pair's quantity, so their demand must be 0")
            if (stops[pair.pickup].drop_penalty is None) != (stops[pair.delivery].drop_penalty is None):
                raise ValueError(f"pair {ends}: set drop_penalty on both stops or on neither")


class Visit(BaseModel):
    """One stop on a route, with its schedule in minutes."""

    stop_id: str
    arrival: float
    wait: float
    service_start: float
    departure: float
    late_by: float = Field(description="Minutes service starts after the window closes (0 when on time).")
    load_after: int = Field(description="Load on board when leaving this stop.")


class Route(BaseModel):
    """A vehicle's ordered visits, times, distance and load."""

    vehicle_id: str
    visits: list[Visit]
    start: float
    end: float
    distance: float
    duration: float
    peak_load: int
    capacity: int


class Objective(BaseModel):
    """The plan's cost and its parts."""

    cost: float = Field(description="Distance plus fixed vehicle costs plus penalties of dropped optional stops.")
    total_distance: float
    total_duration: float = Field(description="Sum of route durations in minutes (travel, service and waiting).")
    vehicles_used: int
    time_window_violations: int = Field(description="Stops served after their window plus routes back after shift end.")
    lateness_minutes: float
    excess_load: int


class Binding(BaseModel):
    """Constraints at their limit in the plan: where more slack would change it."""

    full_vehicles: list[str] = Field(description="Vehicles whose peak load equals capacity.")
    stops_at_window_end: list[str] = Field(description="Stops whose service starts exactly when their window closes.")
    shifts_at_limit: list[str] = Field(description="Vehicles back at the depot exactly at shift end.")


class RoutePlan(BaseModel):
    """Routes per used vehicle, unserved stops, objective, binding constraints and evidence."""

    engine: str
    feasible: bool
    routes: list[Route]
    unserved: list[str]
    objective: Objective
    binding: Binding
    evidence: Evidence


class EngineRun(TypedDict):
    """How an engine was run on a problem (the evidence's inputs and the hash of its id)."""

    engine: str
    time_limit_s: float
    max_iterations: int | None
    iterations: int | None
    seed: int
    problem_sha256: str


@dataclass(frozen=True)
class _Instance:
    """The problem in integer solver units; node 0 is the depot and node i is stop i - 1."""

    scale: int
    distance: np.ndarray
    duration: np.ndarray
    coords: np.ndarray
    demand: np.ndarray
    load_change: np.ndarray
    service: np.ndarray
    early: np.ndarray
    late: np.ndarray
    prize: list[int | None]
    vehicles: list[Vehicle]
    shift_early: list[int]
    shift_late: list[int]
    fixed_cost: list[int]
    pairs: list[tuple[int, int, int]]


def _matrices(problem: RoutingProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer distance and duration matrices (truncated, in solver units) and node coordinates."""
    scale = problem.precision
    if problem.distance_matrix is not None:
        size = len(problem.stops) + 1
        distance = np.floor(np.asarray(problem.distance_matrix) * scale + 1e-9)
        duration = np.floor(np.asarray(problem.duration_matrix) * scale + 1e-9)
        return distance.astype(np.int64), duration.astype(np.int64), np.zeros((size, 2))
    locations = problem.located()
    points = np.array([loc.point for loc in locations], dtype=float)
    if locations[0].geographic:
        miles = haversine_matrix(points)
        distance = np.floor(miles * scale)
        duration = np.floor(miles / problem.speed_mph * 60 * scale)
        return distance.astype(np.int64), duration.astype(np.int64), points[:, ::-1]
    distance = np.floor(euclidean_matrix(points, scale)).astype(np.int64)
    return distance, distance, points


def _compile(problem: RoutingProblem) -> _Instance:
    """Scale the problem to integers and index its nodes."""
    ticks = problem.precision

    def opens(value: float) -> int:
        """A window's opening (or a service time) in solver units, rounded up so no true window is entered early."""
        return math.ceil(value * ticks - 1e-9)

    def closes(value: float) -> int:
        """A window's closing (or a cost) in solver units, rounded down so the true window is never passed."""
        return math.floor(value * ticks + 1e-9)

    depot, stops = problem.depot, problem.stops
    distance, duration, coords = _matrices(problem)
    node = {s.id: i for i, s in enumerate(stops, start=1)}
    pairs = [(node[p.pickup], node[p.delivery], p.quantity) for p in problem.pairs]
    load_change = np.array([0] + [-s.demand for s in stops], dtype=np.int64)
    for pickup, delivery, quantity in pairs:
        load_change[pickup], load_change[delivery] = quantity, -quantity
    vehicles = [v for v in problem.vehicles if v.available]
    shift_late = [
        closes(min(depot.tw_late, v.shift_end if v.shift_end is not None else depot.tw_late)) for v in vehicles
    ]
    shift_early = [opens(max(depot.tw_early, v.shift_start)) for v in vehicles]
    return _Instance(
        scale=ticks,
        distance=distance,
        duration=duration,
        coords=coords,
        demand=np.array([0] + [s.demand for s in stops], dtype=np.int64),
        load_change=load_change,
        service=np.array([0] + [opens(s.service_minutes) for s in stops], dtype=np.int64),
        early=np.array([opens(depot.tw_early)] + [opens(s.tw_early) for s in stops], dtype=np.int64),
        late=np.array(
            [closes(depot.tw_late)] + [closes(depot.tw_late if s.tw_late is None else s.tw_late) for s in stops],
            dtype=np.int64,
        ),
        prize=[None] + [None if s.drop_penalty is None else closes(s.drop_penalty) for s in stops],
        vehicles=vehicles,
        shift_early=shift_early,
        shift_late=shift_late,
        fixed_cost=[closes(v.fixed_cost) for v in vehicles],
        pairs=pairs,
    )


def _fleet_groups(inst: _Instance) -> list[list[int]]:
    """Vehicle indices grouped by identical capacity, shift and fixed cost, in first-seen order."""
    groups: dict[tuple[int, int, int, int], list[int]] = {}
    for v, vehicle in enumerate(inst.vehicles):
        key = (vehicle.capacity, inst.shift_early[v], inst.shift_late[v], inst.fixed_cost[v])
        groups.setdefault(key, []).append(v)
    return list(groups.values())


def _solve_pyvrp(inst: _Instance, time_limit_s: float, max_iterations: int | None, seed: int) -> list[list[int]]:
    """PyVRP's iterated local search; node sequences per vehicle."""
    clients = [
        pyvrp.Client(
            location=i,
            delivery=[int(inst.demand[i])],
            service_duration=int(inst.service[i]),
            tw_early=int(inst.early[i]),
            tw_late=int(inst.late[i]),
            prize=inst.prize[i] or 0,
            required=inst.prize[i] is None,
        )
        for i in range(1, len(inst.demand))
    ]
    groups = _fleet_groups(inst)
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=len(group),
            capacity=[inst.vehicles[group[0]].capacity],
            fixed_cost=inst.fixed_cost[group[0]],
            tw_early=inst.shift_early[group[0]],
            tw_late=inst.shift_late[group[0]],
        )
        for group in groups
    ]
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(float(x), float(y)) for x, y in inst.coords],
        clients=clients,
        depots=[pyvrp.Depot(location=0, tw_early=int(inst.early[0]), tw_late=int(inst.late[0]))],
        vehicle_types=vehicle_types,
        distance_matrices=[inst.distance],  # pyright: ignore[reportArgumentType]  # pyvrp's stub: shape as int
        duration_matrices=[inst.duration],  # pyright: ignore[reportArgumentType]  # pyvrp's stub: shape as int
    )
    stop = MaxRuntime(time_limit_s)
    if max_iterations is not None:
        stop = MultipleCriteria([MaxIterations(max_iterations), stop])
    best = pyvrp.solve(data, stop=stop, seed=seed, collect_stats=False).best
    sequences: list[list[int]] = [[] for _ in inst.vehicles]
    unused = [iter(group) for group in groups]
    for route in best.routes():
        sequences[next(unused[route.vehicle_type()])] = [activity.idx + 1 for activity in route if activity.is_client()]
    return sequences


def _solve_ortools(inst: _Instance, time_limit_s: float, max_iterations: int | None, seed: int) -> list[list[int]]:
    """OR-Tools routing, cheapest-arc start then guided local search; node sequences per vehicle.

    OR-Tools routing has no random seed: a run is deterministic when it stops on `max_iterations`
    (a solution limit) rather than on the clock.
    """
    del seed
    vehicles = len(inst.vehicles)
    manager = pywrapcp.RoutingIndexManager(len(inst.demand), vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(inst.distance.tolist()))
    horizon = int(max(inst.late.max(), max(inst.shift_late)))
    travel = routing.RegisterTransitMatrix((inst.duration + inst.service[:, None]).tolist())
    routing.AddDimension(travel, horizon, horizon, False, "time")
    time = routing.GetDimensionOrDie("time")
    load = routing.RegisterUnaryTransitVector(inst.load_change.tolist())
    routing.AddDimensionWithVehicleCapacity(load, 0, [v.capacity for v in inst.vehicles], False, "load")
    # Larger than any plan's total distance and fixed costs: dropping a required stop never pays.
    must_serve = int(len(inst.demand) * inst.distance.max() + sum(inst.fixed_cost) + 1)
    for node in range(1, len(inst.demand)):
        index = manager.NodeToIndex(node)
        time.CumulVar(index).SetRange(int(inst.early[node]), int(inst.late[node]))
        routing.AddDisjunction([index], must_serve if inst.prize[node] is None else inst.prize[node])
    for v in range(vehicles):
        for index in (routing.Start(v), routing.End(v)):
            time.CumulVar(index).SetRange(inst.shift_early[v], inst.shift_late[v])
        routing.SetFixedCostOfVehicle(inst.fixed_cost[v], v)
    solver = routing.solver()
    for pickup, delivery, _ in inst.pairs:
        p, d = manager.NodeToIndex(pickup), manager.NodeToIndex(delivery)
        routing.AddPickupAndDelivery(p, d)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        solver.Add(time.CumulVar(p) <= time.CumulVar(d))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    if max_iterations is not None:
        params.solution_limit = max_iterations
    solution = routing.SolveWithParameters(params)
    sequences: list[list[int]] = [[] for _ in range(vehicles)]
    if solution is None:
        return sequences
    for v in range(vehicles):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            sequences[v].append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
    return sequences


@dataclass(frozen=True)
class _Engine:
    """A solver behind the common interface: evidence model name, package for the version, solve function, and the
    iterations an instance of so many stops needs (None: no sizing)."""

    model: str
    package: str
    solve: Callable[[_Instance, float, int | None, int], list[list[int]]]
    pairs: bool
    effort: Callable[[int], int] | None = None


def sized_iterations(stops: int) -> int:
    """PyVRP iterations for an instance of `stops` stops: ten per stop, at least 500 and at most 2,000. On the
    twin's re-plans (39 to 49 stops) 500 reach the objective of 2,000; `yardmaster bench routing --effort`
    compares both on Solomon and on the twin."""
    return min(2000, max(500, 10 * stops))


# PyVRP 0.14 accepts shipments, but its search misses simple optima with them (a pickup, its delivery
# and one client: 54.1 found where 52.3 is feasible, after 3000 iterations), so pairs go to OR-Tools.
ENGINES = {
    "pyvrp": _Engine("pyvrp", "pyvrp", _solve_pyvrp, pairs=False, effort=sized_iterations),
    "ortools": _Engine("ortools-routing", "ortools", _solve_ortools, pairs=True),
}
DEFAULT_ENGINE = "pyvrp"


def _forward(inst: _Instance, nodes: list[int], depart: int) -> tuple[list[int], list[int]]:
    """Arrival and service-start times at each stop and back at the depot, leaving the depot at `depart`."""
    arrivals, starts = [], []
    clock, previous = depart, 0
    for node in [*nodes, 0]:
        arrival = clock + int(inst.duration[previous, node])
        start = max(arrival, int(inst.early[node])) if node else arrival
        arrivals.append(arrival)
        starts.append(start)
        clock, previous = start + int(inst.service[node]), node
    return arrivals, starts


def _route(inst: _Instance, v: int, nodes: list[int], stop_ids: list[str]) -> tuple[Route, int, int]:
    """Schedule a vehicle's sequence, leaving as late as waiting allows; the route with its distance and duration ticks."""
    scale = inst.scale
    arrivals, starts = _forward(inst, nodes, inst.shift_early[v])
    lates = [int(inst.late[node]) for node in nodes] + [inst.shift_late[v]]
    waited = list(accumulate(start - arrival for arrival, start in zip(arrivals, starts, strict=False)))
    delay = max(0, min(waited[-1], *(w + late - start for w, late, start in zip(waited, lates, starts, strict=False))))
    depart = inst.shift_early[v] + delay
    arrivals, starts = _forward(inst, nodes, depart)
    loads = list(accumulate((int(inst.load_change[node]) for node in nodes), initial=int(inst.demand[nodes].sum())))
    distance = sum(int(inst.distance[a, b]) for a, b in pairwise([0, *nodes, 0]))
    visits = [
        Visit(
            stop_id=stop_ids[node - 1],
            arrival=arrival / scale,
            wait=(start - arrival) / scale,
            service_start=start / scale,
            departure=(start + int(inst.service[node])) / scale,
            late_by=max(0, start - int(inst.late[node])) / scale,
            load_after=load,
        )
        for node, arrival, start, load in zip(nodes, arrivals, starts, loads[1:], strict=False)
    ]
    route = Route(
        vehicle_id=inst.vehicles[v].id,
        visits=visits,
        start=depart / scale,
        end=starts[-1] / scale,
        distance=distance / scale,
        duration=(starts[-1] - depart) / scale,
        peak_load=max(loads),
        capacity=inst.vehicles[v].capacity,
    )
    return route, distance, starts[-1] - depart


def _plan_evidence(
    problem: RoutingProblem, inst: _Instance, run: EngineRun, routes: list[Route], facts: dict[str, Any]
) -> Evidence:
    """The evidence of a routing run: the engine and its settings, the problem's size, the plan's facts and its
    longest routes."""
    engine = ENGINES[run["engine"]]
    return Evidence(
        id="routing-" + hashlib.sha256(json.dumps(run, sort_keys=True).encode()).hexdigest()[:12],
        source=Source(tool="routing", model=engine.model, version=package_version(engine.package)),
        inputs={
            **run,
            "stops": len(problem.stops),
            "pairs": len(problem.pairs),
            "vehicles": [vehicle.id for vehicle in inst.vehicles],
            "unavailable_vehicles": [vehicle.id for vehicle in problem.vehicles if not vehicle.available],
            "total_demand": int(inst.demand.sum()),
            "total_capacity": sum(vehicle.capacity for vehicle in inst.vehicles),
        },
        facts=facts,
        drivers=[
            Driver(feature=f"route {route.vehicle_id}", value=len(route.visits), contribution=route.distance)
            for route in sorted(routes, key=lambda route: -route.distance)[:5]
        ],
    )


def _plan(problem: RoutingProblem, inst: _Instance, sequences: list[list[int]], run: EngineRun) -> RoutePlan:
    """Evaluate the engine's sequences independently: schedules, objective, violations, binding constraints."""
    scale, stop_ids = inst.scale, [s.id for s in problem.stops]
    used = [v for v, nodes in enumerate(sequences) if nodes]
    scheduled = [_route(inst, v, sequences[v], stop_ids) for v in used]
    routes = [route for route, _, _ in scheduled]
    served = {node for v in used for node in sequences[v]}
    unserved = [node for node in range(1, len(inst.demand)) if node not in served]
    window_end = {stop_ids[node - 1]: int(inst.late[node]) / scale for node in served}
    shift_end = {inst.vehicles[v].id: inst.shift_late[v] / scale for v in used}
    overrun = [route.end - shift_end[route.vehicle_id] for route in routes if route.end > shift_end[route.vehicle_id]]
    late = [visit.late_by for route in routes for visit in route.visits if visit.late_by > 0]
    excess_load = sum(max(0, route.peak_load - route.capacity) for route in routes)
    penalties = sum(prize for node in unserved if (prize := inst.prize[node]) is not None)
    distance = sum(ticks for _, ticks, _ in scheduled)
    objective = Objective(
        cost=(distance + sum(inst.fixed_cost[v] for v in used) + penalties) / scale,
        total_distance=distance / scale,
        total_duration=sum(ticks for _, _, ticks in scheduled) / scale,
        vehicles_used=len(routes),
        time_window_violations=len(late) + len(overrun),
        lateness_minutes=(sum(late) + sum(overrun)),
        excess_load=excess_load,
    )
    binding = Binding(
        full_vehicles=[route.vehicle_id for route in routes if route.peak_load == route.capacity],
        stops_at_window_end=[
            visit.stop_id
            for route in routes
            for visit in route.visits
            if visit.service_start == window_end[visit.stop_id]
        ],
        shifts_at_limit=[route.vehicle_id for route in routes if route.end == shift_end[route.vehicle_id]],
    )
    required_unserved = any(inst.prize[node] is None for node in unserved)
    feasible = objective.time_window_violations == 0 and excess_load == 0 and not required_unserved
    unserved_ids = [stop_ids[node - 1] for node in unserved]
    facts = {
        "feasible": feasible,
        **objective.model_dump(),
        "unserved": unserved_ids,
        "routes": {route.vehicle_id: [visit.stop_id for visit in route.visits] for route in routes},
        "binding": binding.model_dump(),
    }
    evidence = _plan_evidence(problem, inst, run, routes, facts)
    return RoutePlan(
        engine=run["engine"],
        feasible=feasible,
        routes=routes,
        unserved=unserved_ids,
        objective=objective,
        binding=binding,
        evidence=evidence,
    )


def solve_vrptw(
    problem: RoutingProblem,
    *,
    engine: str = DEFAULT_ENGINE,
    time_limit_s: float = 2.0,
    max_iterations: int | None = None,
    seed: int = 0,
    size_effort: bool = True,
) -> RoutePlan:
    """Plan routes for the available vehicles with `engine` (the desk passes its settings' routing_engine).

    The search stops at `time_limit_s`, or earlier after `max_iterations` (PyVRP iterations, OR-Tools
    solutions); stopping on iterations makes a run repeatable across machines for a fixed `seed`. With
    `size_effort` (the desk passes its settings' routing_sized_effort) `max_iterations` is a ceiling: PyVRP stops
    after the iterations sized to the instance's stop count (`sized_iterations`) when those are fewer.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown routing engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if problem.pairs and not ENGINES[engine].pairs:
        supported = ", ".join(key for key, candidate in ENGINES.items() if candidate.pairs)
        raise UnsupportedProblem(f"engine {engine!r} does not plan pickup-and-delivery pairs; use engine={supported!r}")
    iterations = max_iterations
    if size_effort and iterations is not None and (effort := ENGINES[engine].effort):
        iterations = min(iterations, effort(len(problem.stops)))
    inst = _compile(problem)
    if inst.vehicles and problem.stops:
        sequences = ENGINES[engine].solve(inst, time_limit_s, iterations, seed)
    else:
        sequences = [[] for _ in inst.vehicles]
    run: EngineRun = {
        "engine": engine,
        "time_limit_s": time_limit_s,
        "max_iterations": max_iterations,
        "iterations": iterations,
        "seed": seed,
        "problem_sha256": hashlib.sha256(problem.model_dump_json().encode()).hexdigest(),
    }
    return _plan(problem, inst, sequences, run)


def without_vehicle(problem: RoutingProblem, vehicle_id: str) -> RoutingProblem:
    """The same problem with one vehicle unavailable (a failed or withdrawn truck), ready to re-plan."""
    if vehicle_id not in {vehicle.id for vehicle in problem.vehicles}:
        raise KeyError(f"no vehicle {vehicle_id!r} in the problem")
    fleet = [
        vehicle.model_copy(update={"available": False}) if vehicle.id == vehicle_id else vehicle
        for vehicle in problem.vehicles
    ]
    return problem.model_copy(update={"vehicles": fleet})
