#!/usr/bin/env bash
# Installs the pinned s3rver (an independent S3 server that checks SigV4 signatures) into <repo>/.tools/s3rver
# (git-ignored) with `npm ci --ignore-scripts`. It runs on the Node 24 that infra/fauxqs/install.sh brings, so that is
# installed first. Idempotent: does nothing when the pinned version is already installed from the same lock file.
# Prints one line saying what it did (see infra/npm-install.sh).
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

# shellcheck source=../npm-install.sh
source "$root/infra/npm-install.sh"
npm_install_pinned "s3rver $want" "$here" "$dest"
