// The network over a bundled US states outline: DCs, customers, lanes, today's routes and what is at risk now (late
// or likely late shipments, short positions, trucks down or likely to fail, with the models' scores), placed from
// the twin's coordinates. Layers can be switched off; the at-risk list is a table too.

import { api } from "../api.js";
import { pathOf, project } from "../geo.js";
import "../../vendor/topojson-client.min.js";
import { codeLink, fill, h, heading, pct, svg, table } from "../ui.js";

let outline = null;

async function states() {
  if (!outline) {
    const topology = await (await fetch("/web/vendor/states-albers-10m.json")).json();
    outline = self.topojson.feature(topology, topology.objects.states).features;
  }
  return outline;
}

const LAYERS = [["states", "States"], ["lanes", "Lanes"], ["routes", "Today's routes"], ["customers", "Customers"],
  ["risk", "At risk"], ["dcs", "DCs"]];

export async function show(root, _args, params) {
  const [network, features] = await Promise.all([api("/v1/network"), states()]);
  const places = new Map(network.places.map((place) => [place.code, { ...place, xy: project(place.lon, place.lat) }]));
  const at = (code) => places.get(code)?.xy;
  const focus = params.get("dc");
  const map = svg("svg", { viewBox: "0 0 975 610", class: "map", role: "img", id: "network-map",
    "aria-label": `Map of ${network.places.filter((p) => p.kind === "dc").length} DCs, ${network.lanes.length} lanes, `
      + `${network.routes.length} routes today and ${network.at_risk.length} items at risk` },
    svg("g", { class: "layer-states" }, features.map((feature) =>
      svg("path", { d: pathOf(feature.geometry), class: "state", "data-name": feature.properties.name }))),
    svg("g", { class: "layer-lanes" }, network.lanes.filter((lane) => lane.origin !== lane.destination && at(lane.origin) && at(lane.destination))
      .map((lane) => {
        const [a, b] = [at(lane.origin), at(lane.destination)];
        const bend = [(a[0] + b[0]) / 2 + (b[1] - a[1]) * 0.12, (a[1] + b[1]) / 2 - (b[0] - a[0]) * 0.12];
        return svg("path", { d: `M${a}Q${bend} ${b}`, class: "lane" }, svg("title", {}, `${lane.code}: ${lane.distance_miles} mi`));
      })),
    svg("g", { class: "layer-routes" }, network.routes.map((route) => svg("polyline", {
      points: [route.dc, ...route.stops].map(at).filter(Boolean).map((xy) => xy.join(",")).join(" "), class: "route" },
    svg("title", {}, `${route.truck} from ${route.dc}: ${route.stops.length} stops`)))),
    svg("g", { class: "layer-customers" }, network.places.filter((p) => p.kind === "customer").map((p) =>
      svg("circle", { cx: at(p.code)[0], cy: at(p.code)[1], r: 2.2, class: `customer tier-${p.tier}` }, svg("title", {}, `${p.code} (${p.tier})`)))),
    svg("g", { class: "layer-risk" }, riskMarks(network.at_risk, at)),
    svg("g", { class: "layer-dcs" }, network.places.filter((p) => p.kind === "dc").map((p) => {
      const [x, y] = at(p.code);
      return svg("a", { href: `#/network?dc=${p.code}`, class: `dc${focus === p.code ? " focus" : ""}`, "data-code": p.code },
        svg("rect", { x: x - 7, y: y - 7, width: 14, height: 14 }),
        svg("text", { x: x + 10, y: y + 4 }, p.code), svg("title", {}, `${p.code} ${p.name}`));
    })));
  const toggles = h("fieldset", { class: "layers" }, h("legend", {}, "Layers"), LAYERS.map(([key, text]) => h("label", {},
    h("input", { type: "checkbox", checked: true, onchange: (event) => map.querySelector(`.layer-${key}`).toggleAttribute("hidden", !event.target.checked) }),
    ` ${text}`)));
  const risks = focus ? network.at_risk.filter((r) => r.at === focus || places.get(r.at)?.region === places.get(focus)?.region) : network.at_risk;
  fill(root, heading("Network", h("p", { class: "muted" }, `As of ${network.as_of?.slice(0, 16).replace("T", " ")} UTC`)),
    toggles, h("figure", { class: "map-wrap" }, map,
      h("figcaption", { class: "legend" }, h("span", { class: "key dc" }), " DC ", h("span", { class: "key customer" }), " customer ",
        h("span", { class: "key route" }), " route today ", h("span", { class: "key lane" }), " lane ",
        h("span", { class: "key risk" }), " at risk")),
    table(focus ? `At risk around ${focus}` : "At risk", [
      { key: "kind" }, { key: "code", render: (r) => codeLink(r.code) }, { key: "at", title: "where", render: (r) => codeLink(r.at) },
      { key: "reason" }, { key: "score", numeric: true, render: (r) => (r.score === null || r.score === undefined ? "—" : pct(r.score)) }],
    risks, { empty: "Nothing at risk." }));
}

// A ring per place with something at risk, sized by how many.
function riskMarks(risks, at) {
  const byPlace = new Map();
  for (const risk of risks) byPlace.set(risk.at, [...(byPlace.get(risk.at) ?? []), risk]);
  return [...byPlace].filter(([code]) => at(code)).map(([code, list]) => svg("circle", {
    cx: at(code)[0], cy: at(code)[1], r: 5 + Math.min(12, Math.sqrt(list.length) * 2), class: "risk" },
  svg("title", {}, `${code}: ${list.map((r) => `${r.kind} ${r.code}`).slice(0, 8).join(", ")}${list.length > 8 ? "…" : ""}`)));
}
