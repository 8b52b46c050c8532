#!/usr/bin/env bash
# Refresh web/vendor from the npm registry at the versions pinned in web/package.json, then record them.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp package.json "$work/"
(cd "$work" && npm install --no-audit --no-fund --ignore-scripts --silent)
modules="$work/node_modules"
cp "$modules/uplot/dist/uPlot.esm.js" "$modules/uplot/dist/uPlot.min.css" vendor/
cp "$modules/uplot/LICENSE" vendor/uPlot.LICENSE
cp "$modules/topojson-client/dist/topojson-client.min.js" vendor/
cp "$modules/topojson-client/LICENSE" vendor/topojson-client.LICENSE
cp "$modules/us-atlas/states-albers-10m.json" vendor/
cp "$modules/us-atlas/LICENSE" vendor/us-atlas.LICENSE
cp "$modules/marked/lib/marked.esm.js" vendor/
cp "$modules/marked/LICENSE.md" vendor/marked.LICENSE
cp "$modules/dompurify/dist/purify.es.mjs" vendor/purify.es.js
cp "$modules/dompurify/LICENSE" vendor/dompurify.LICENSE
cp "$modules/swagger-ui-dist/swagger-ui-bundle.js" "$modules/swagger-ui-dist/swagger-ui.css" vendor/
cp "$modules/swagger-ui-dist/LICENSE" vendor/swagger-ui.LICENSE
cp "$modules/redoc/bundles/redoc.standalone.js" vendor/
# ReDoc's attribution loads its logo from a CDN: an empty inline SVG instead, so the page makes no outside request
sed -i "s|https://cdn.redoc.ly/redoc/logo-mini.svg|data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27/%3E|" \
  vendor/redoc.standalone.js
cp "$modules/redoc/LICENSE" vendor/redoc.LICENSE
{
  echo "# Vendored from the npm registry by web/vendor.sh; do not edit by hand."
  for name in uplot topojson-client us-atlas marked dompurify swagger-ui-dist redoc; do
    node -e "const p=require('$modules/$name/package.json'); console.log(p.name+'@'+p.version+' '+(p.license||''))"
  done
} > vendor/VERSIONS
echo "vendored: $(tail -n +2 vendor/VERSIONS | tr '\n' ' ')"
