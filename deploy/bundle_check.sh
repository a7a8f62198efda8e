#!/usr/bin/env bash
# make bundle-check: prove that the offline bundle (deploy/bundle.sh) installs with no network.
#
# In a scratch folder, with every network path closed (no package index, a dead proxy, npm
# offline against a dead registry, and neither this machine's pip nor npm configuration):
#   1. the bundle's checksums hold;
#   2. a fresh `python3 -m venv` gets pip, setuptools and wheel, then the runtime packages,
#      with plain pip exactly as INSTALL.md tells the intranet admin, and `pip check` passes;
#   3. `npm ci --offline` with the bundle's package files and cache installs every package of
#      package.json at its pinned version;
#   4. with the fresh venv's Python, from this checkout: Django starts, the key runtime
#      modules import, and `manage.py check` passes (its var/ in the scratch folder).
# Ends with one line: bundle-check: OK — N wheels, installed offline in S s.
set -euo pipefail
cd "$(dirname "$0")/.."

BUNDLE=${BUNDLE:-$PWD/dist/doorstep-bundle}
PYTHON=${PYTHON:-python3}
DEAD=http://127.0.0.1:9  # the discard port: nothing answers there

fail() {
  echo "bundle-check: FAILED: $*" >&2
  exit 1
}
seconds_since() {  # seconds_since EPOCHREALTIME: elapsed time, one decimal
  awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}'
}

[[ -f $BUNDLE/SHA256SUMS ]] || fail "no bundle at $BUNDLE (run make bundle)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
  fail "$PYTHON is not Python 3.11, the bundle's interpreter"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "== checksums =="
(cd "$BUNDLE" && sha256sum -c --quiet SHA256SUMS) || fail "the bundle's files do not match SHA256SUMS"
# The bundle must belong to this checkout: the same runtime pins and npm packages.
if stale=$(grep -vxF -f requirements.lock "$BUNDLE/requirements-runtime.txt"); then
  fail "pins not in requirements.lock (rebuild the bundle): $stale"
fi
cmp -s package.json "$BUNDLE/npm/package.json" || fail "npm/package.json differs from the checkout's"
node - package-lock.json "$BUNDLE/npm/package-lock.json" <<'EOF' || fail "npm/package-lock.json is not the checkout's lock"
// The bundle's lock must be the checkout's with only download addresses added.
const fs = require("fs");
const [ours, bundled] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
for (const entry of Object.values(bundled.packages)) delete entry.resolved;
for (const entry of Object.values(ours.packages)) delete entry.resolved;
process.exit(JSON.stringify(ours) === JSON.stringify(bundled) ? 0 : 1);
EOF

# From here on nothing may reach a network. Drop this machine's pip and npm settings (an
# extra index or find-links would hide a wheel missing from the bundle), then point every
# index, registry and proxy at a port where nothing answers.
while read -r var; do unset "$var"; done < <(compgen -e | grep -iE '^(pip_|npm_config_|uv_)|^(all|no)_proxy$')
export PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 PIP_INDEX_URL=$DEAD/ PIP_DISABLE_PIP_VERSION_CHECK=1
export http_proxy=$DEAD https_proxy=$DEAD HTTP_PROXY=$DEAD HTTPS_PROXY=$DEAD
printf 'registry=%s/\n' "$DEAD" >"$TMP/npmrc"
export NPM_CONFIG_USERCONFIG=$TMP/npmrc
export PYTHONDONTWRITEBYTECODE=1  # the Django checks below must write nothing in the checkout

START=$EPOCHREALTIME
echo "== Python packages: plain pip, as INSTALL.md says =="
VENV=$TMP/venv
"$PYTHON" -m venv "$VENV"
pip_offline() {
  "$VENV/bin/pip" install --quiet --no-index --find-links "$BUNDLE/wheelhouse" "$@"
}
pip_offline --upgrade pip setuptools wheel
pip_offline -r "$BUNDLE/requirements-runtime.txt"
"$VENV/bin/pip" check
echo "installed in $(seconds_since "$START") s"

echo "== npm packages: npm ci --offline =="
T0=$EPOCHREALTIME
WEB=$TMP/web
mkdir "$WEB"
cp "$BUNDLE/npm/package.json" "$BUNDLE/npm/package-lock.json" "$WEB/"
# A copy of the cache: npm writes its logs and index entries there, and the bundle stays as built.
cp -r "$BUNDLE/npm/cache" "$TMP/npm-cache"
(cd "$WEB" && npm ci --offline --cache "$TMP/npm-cache" --registry "$DEAD/" \
  --no-audit --no-fund --loglevel=error)
# Every dependency of package.json (htmx.org, leaflet, echarts) at its pinned version.
(cd "$WEB" && node -e '
const deps = require("./package.json").dependencies;
for (const [name, version] of Object.entries(deps)) {
  const got = require(`./node_modules/${name}/package.json`).version;
  if (got !== version) throw new Error(`${name}: ${got} installed, ${version} pinned`);
  console.log(`${name} ${got}`);
}') || fail "node_modules does not hold the packages of package.json"
echo "installed in $(seconds_since "$T0") s"
INSTALL_SECS=$(seconds_since "$START")

echo "== Django with the fresh venv =="
export DJANGO_SETTINGS_MODULE=config.settings DOORSTEP_VAR_DIR=$TMP/var
"$VENV/bin/python" -c "import django; django.setup(); import doorstep.core.crypto, csp, psycopg_pool, celery, gunicorn, scipy, osmium, opencc; print('ok')"
"$VENV/bin/python" manage.py check

WHEELS=$(find "$BUNDLE/wheelhouse" -name '*.whl' | wc -l)
echo "bundle-check: OK — $WHEELS wheels, installed offline in $INSTALL_SECS s"
