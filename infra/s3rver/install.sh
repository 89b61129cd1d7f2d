#!/usr/bin/env bash
# Installs the pinned s3rver (an independent S3 server that checks SigV4 signatures) into <repo>/.tools/s3rver
# (git-ignored) with `npm ci --ignore-scripts`. It runs on the Node 24 that infra/fauxqs/install.sh brings, so that is
# installed first. Idempotent: does nothing when the pinned version is already installed from the same lock file.
# Prints one line saying what it did. Uses whatever npm registry the machine is configured with.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dest="$root/.tools/s3rver"
want="$(sed -n 's/.*"s3rver": *"\([^"]*\)".*/\1/p' "$here/package.json" | head -n1)"

bash "$root/infra/fauxqs/install.sh" >/dev/null || { echo "install.sh: installing the Node 24 runtime (infra/fauxqs/install.sh) failed" >&2; exit 1; }

is_current() {
  local pj="$dest/node_modules/s3rver/package.json"
  [[ -f "$pj" && -f "$dest/node_modules/s3rver/bin/s3rver.js" ]] &&
    [[ "$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pj" | head -n1)" == "$want" ]] &&
    cmp -s "$here/package-lock.json" "$dest/package-lock.json"
}

mkdir -p "$dest"
exec 9>"$dest/.install.lock"  # scripts/test and the test fixture may both call this
if command -v flock >/dev/null 2>&1; then
  flock -w 600 9 || { echo "install.sh: timed out waiting for $dest/.install.lock" >&2; exit 1; }
fi
if is_current; then
  echo "s3rver $want already installed in $dest"
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "install.sh: npm not found on PATH (needed to install s3rver)" >&2; exit 1; }
cp "$here/package.json" "$here/package-lock.json" "$dest/"
start=$SECONDS
if ! (cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=warn >"$dest/npm-ci.log" 2>&1); then
  echo "install.sh: 'npm ci --ignore-scripts' failed in $dest; last lines of $dest/npm-ci.log:" >&2
  tail -n 30 "$dest/npm-ci.log" >&2
  exit 1
fi
is_current || { echo "install.sh: npm ci finished but s3rver $want is not in $dest/node_modules" >&2; exit 1; }
echo "s3rver $want installed into $dest in $((SECONDS - start)) s"
