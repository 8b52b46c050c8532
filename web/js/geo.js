// The projection of us-atlas's states-albers-10m.json (d3's geoAlbersUsa, scale 1300, translate [487.5, 305]),
// for the contiguous states: an Albers equal-area conic with parallels 29.5°N and 45.5°N, rotated 96°W.

const RAD = Math.PI / 180;
const SCALE = 1300;
const TRANSLATE = [487.5, 305];
const PARALLELS = [29.5 * RAD, 45.5 * RAD];
const ROTATE = 96 * RAD;
const CENTER = [-0.6 * RAD, 38.7 * RAD];

const n = (Math.sin(PARALLELS[0]) + Math.sin(PARALLELS[1])) / 2;
const c = 1 + Math.sin(PARALLELS[0]) * (2 * n - Math.sin(PARALLELS[0]));
const r0 = Math.sqrt(c) / n;

function conic(lambda, phi) {
  const r = Math.sqrt(c - 2 * n * Math.sin(phi)) / n;
  return [r * Math.sin(lambda * n), r0 - r * Math.cos(lambda * n)];
}

const centre = conic(CENTER[0], CENTER[1]);

// [x, y] on the 975 x 610 map of a longitude and latitude in degrees.
export function project(lon, lat) {
  let lambda = lon * RAD + ROTATE;
  if (lambda > Math.PI) lambda -= 2 * Math.PI;
  const [x, y] = conic(lambda, lat * RAD);
  return [TRANSLATE[0] + SCALE * (x - centre[0]), TRANSLATE[1] - SCALE * (y - centre[1])];
}

// An SVG path of a GeoJSON (Multi)Polygon already in map coordinates.
export function pathOf(geometry) {
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  return polygons.map((rings) => rings.map((ring) =>
    `M${ring.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join("L")}Z`).join("")).join("");
}
