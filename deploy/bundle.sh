#!/usr/bin/env bash
# make bundle: an offline install bundle for a machine with no internet (an intranet server).
#
# Builds dist/doorstep-bundle/ from this checkout:
#   wheelhouse/                wheels of the runtime packages only (no test or lint tools), at
#                              the versions of requirements.lock, for Linux x86_64, CPython 3.11,
#                              glibc 2.28 or newer; plus pip, setuptools and wheel
#   requirements-runtime.txt   the pinned runtime list: the "# Runtime" section of
#                              requirements.in compiled with requirements.lock as constraints
#   npm/                       package.json, package-lock.json (with download addresses) and an
#                              npm cache holding every tarball, for `npm ci --offline`
#   INSTALL.md                 how to install from the bundle
#   SHA256SUMS                 checksums of everything above, written last
# The bundle is built beside its final place and moved there only when complete.
# deploy/bundle_check.sh proves that it installs with no network.
set -euo pipefail
cd "$(dirname "$0")/.."

START=$EPOCHREALTIME
ROOT=$PWD
OUT=dist/doorstep-bundle
WORK=dist/doorstep-bundle.partial
PY_VERSION=3.11  # the interpreter of the lock and of the target
GLIBC_MIN=28     # the target's glibc must be 2.<GLIBC_MIN> or newer (manylinux_2_28)
PIP=.venv/bin/pip
UV=.venv/bin/uv

for tool in "$PIP" "$UV"; do
  [[ -x $tool ]] || { echo "bundle: $tool is missing; run make install first" >&2; exit 1; }
done
command -v npm >/dev/null || { echo "bundle: npm is missing" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
rm -rf "$WORK"
mkdir -p "$WORK/wheelhouse" "$WORK/npm"

# Download options for the target: binary wheels only (the target has no compiler), any
# manylinux tag from glibc 2.17 up to 2.<GLIBC_MIN>, CPython 3.11.
TARGET=(--only-binary=:all: --python-version "$PY_VERSION" --implementation cp
  --abi "cp${PY_VERSION/./}" --platform manylinux2014_x86_64)
for minor in $(seq "$GLIBC_MIN" -1 17); do
  TARGET+=(--platform "manylinux_2_${minor}_x86_64")
done
# pip runs with -qq (errors only): an extra index in a machine's pip configuration may
# otherwise warn once for every package it does not hold.

echo "== runtime requirements =="
# Resolved for the Python release of .venv, the one the lock was made with: environment
# markers may depend on the patch release (python_full_version).
PY_FULL=$(.venv/bin/python -c 'import platform; print(platform.python_version())')
[[ $PY_FULL == "$PY_VERSION".* ]] || { echo "bundle: .venv has Python $PY_FULL, not $PY_VERSION" >&2; exit 1; }
# The runtime section of requirements.in: from "# Runtime" to "# Development and tests".
awk '/^# Runtime/ {on = 1; next} /^# Development/ {on = 0} on' requirements.in >"$TMP/runtime.in"
grep -q '^[a-z]' "$TMP/runtime.in" || { echo "bundle: no # Runtime section in requirements.in" >&2; exit 1; }
REQS=$WORK/requirements-runtime.txt
compile() {  # compile PYTHON_VERSION [uv options...]: the runtime list for that Python
  local version=$1
  shift
  "$UV" pip compile --quiet "$TMP/runtime.in" -c requirements.lock --no-header --no-annotate \
    --python-version "$version" --python-platform "x86_64-manylinux_2_$GLIBC_MIN" "$@"
}
compile "$PY_FULL" -o "$REQS"
# What the first 3.11 release would need beyond that (named in INSTALL.md; not bundled).
OLDER_NEEDS=$(compile "$PY_VERSION.0" | grep -vxF -f "$REQS" | sed 's/==.*//' | paste -sd ' ' || true)
# Every runtime pin must be one of the lock's lines: a package missing from the lock would
# otherwise come in at whatever version is newest today.
if unpinned=$(grep -vxF -f requirements.lock "$REQS"); then
  echo "bundle: not pinned in requirements.lock (run the lock update first):" >&2
  echo "$unpinned" >&2
  exit 1
fi
echo "$(wc -l <"$REQS") runtime packages"

echo "== wheels =="
# Exactly the compiled list (--no-deps: it already holds every dependency). Should a
# package have no wheel for the target, each one is fetched alone and the missing ones are
# built here into wheels (a compiled one is then tagged for this machine's glibc only).
if ! "$PIP" download -qq --no-deps "${TARGET[@]}" -r "$REQS" -d "$WORK/wheelhouse"; then
  echo "bundle: some runtime package has no wheel for the target; building the missing ones" >&2
  while read -r req; do
    if ! "$PIP" download -qq --no-deps "${TARGET[@]}" "$req" -d "$WORK/wheelhouse" 2>/dev/null; then
      echo "bundle: no wheel for $req: building one" >&2
      "$PIP" wheel -qq --no-deps "$req" -w "$WORK/wheelhouse"
    fi
  done <"$REQS"
fi
# pip, setuptools and wheel, so a bare venv can bring its installer up to date first: pip
# at the version this checkout's .venv uses, the others as the lock pins them (wheel's own
# dependency, packaging, too).
PIP_VERSION=$("$PIP" --version | awk '{print $2}')
"$PIP" download -qq "${TARGET[@]}" -c requirements.lock \
  "pip==$PIP_VERSION" setuptools wheel -d "$WORK/wheelhouse"
WHEELS=$(find "$WORK/wheelhouse" -name '*.whl' | wc -l)
echo "$WHEELS wheels"

echo "== npm packages =="
# npm ci in a scratch copy fills the bundle's cache with every tarball of the lock.
mkdir "$TMP/web"
cp package.json package-lock.json "$TMP/web/"
(cd "$TMP/web" && npm ci --cache "$ROOT/$WORK/npm/cache" --no-audit --no-fund --loglevel=error)
rm -rf "$WORK/npm/cache/_logs"
cp package.json "$WORK/npm/"
# The committed lock leaves out each tarball's download address (npm's setting
# omit-lockfile-registry-resolved, so that no registry is named in the repository). Without
# it npm must ask a registry where a tarball is; with it, and the integrity the lock has,
# npm takes the tarball from the cache by checksum, whatever registry the target is
# configured with. The bundle's lock adds each address: the standard tarball path under
# the registry this build used.
REGISTRY=$(npm config get registry) node - package-lock.json "$WORK/npm/package-lock.json" <<'EOF'
const fs = require("fs");
const [src, dst] = process.argv.slice(2);
const lock = JSON.parse(fs.readFileSync(src, "utf8"));
const registry = process.env.REGISTRY.replace(/\/?$/, "/");
for (const [path, entry] of Object.entries(lock.packages)) {
  if (!path || entry.resolved || entry.link || !entry.integrity) continue;
  const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
  entry.resolved = `${registry}${name}/-/${name.split("/").pop()}-${entry.version}.tgz`;
}
fs.writeFileSync(dst, JSON.stringify(lock, null, 2) + "\n");
EOF
echo "$(grep -c '"resolved"' "$WORK/npm/package-lock.json") npm packages"

echo "== INSTALL.md =="
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
# (GIT_OPTIONAL_LOCKS=0: git status only reads, it does not refresh the index.)
if [[ $COMMIT != unknown && -n $(GIT_OPTIONAL_LOCKS=0 git status --porcelain 2>/dev/null) ]]; then
  COMMIT="$COMMIT (with uncommitted changes)"
fi
cat >"$WORK/INSTALL.md" <<EOF
# Doorstep offline install bundle

Built $(date -u '+%Y-%m-%d %H:%M UTC') from commit $COMMIT, for Linux x86_64 with
CPython $PY_VERSION and glibc 2.$GLIBC_MIN or newer. Nothing below uses the network.
$(if [[ -n $OLDER_NEEDS ]]; then
  echo
  echo "The pins were resolved for Python $PY_FULL. An older $PY_VERSION release also needs"
  echo "$OLDER_NEEDS, which requirements.lock does not pin and so the bundle lacks: use"
  echo "Python $PY_FULL or a newer $PY_VERSION (else pip stops: \"No matching distribution\")."
fi)

- \`wheelhouse/\`: $WHEELS wheels, the runtime packages of \`requirements-runtime.txt\` plus
  pip, setuptools and wheel (no test or development tools)
- \`npm/\`: \`package.json\`, \`package-lock.json\` and an npm cache with every tarball
- \`SHA256SUMS\`: checksums of all files, to check the copy

The machine needs Python $PY_VERSION with its venv module and Node.js 20 with npm (PostgreSQL,
Redis and nginx as docs/operations.md describes). Do not run \`make install\` there: it
downloads, and installs the development tools too.

## Install

Copy the Doorstep checkout of that commit and this folder onto the machine. In the
checkout, with BUNDLE set to this folder's path:

    (cd "\$BUNDLE" && sha256sum -c --quiet SHA256SUMS)
    python3 -m venv .venv
    .venv/bin/pip install --no-index --find-links "\$BUNDLE/wheelhouse" --upgrade pip setuptools wheel
    .venv/bin/pip install --no-index --find-links "\$BUNDLE/wheelhouse" -r "\$BUNDLE/requirements-runtime.txt"
    cp "\$BUNDLE/npm/package-lock.json" package-lock.json
    npm ci --offline --cache "\$BUNDLE/npm/cache"

The copied \`package-lock.json\` is the checkout's own plus each tarball's download
address; with it npm takes every tarball from the cache and never asks a registry.

Then follow docs/operations.md: settings and keys, PostgreSQL and gunicorn, the jobs,
backups.
EOF

(cd "$WORK" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort |
  xargs -d '\n' sha256sum >SHA256SUMS)
rm -rf "$OUT"
mv "$WORK" "$OUT"

SECS=$(awk -v a="$START" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
echo "bundle: $OUT, $(du -sh "$OUT" | cut -f1), $WHEELS wheels, built in $SECS s"
