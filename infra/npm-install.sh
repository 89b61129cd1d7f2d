# Sourced by infra/*/install.sh: the one way a pinned npm tool is installed into .tools/.
# npm_install_pinned WHAT HERE DEST: unless the caller's is_current says it is there already, copies HERE's package.json
# and package-lock.json into DEST and runs `npm ci --ignore-scripts` (nothing from the registry runs at install time);
# serialised with flock, since scripts/test and the test fixtures may install at once. Prints one line; returns non-zero
# with the npm log's last lines on stderr when it fails. Uses whatever npm registry the machine is configured with.
npm_install_pinned() {
  local what="$1" here="$2" dest="$3" start
  mkdir -p "$dest"
  exec 9>"$dest/.install.lock"
  if command -v flock >/dev/null 2>&1; then
    flock -w 600 9 || { echo "install.sh: timed out waiting for $dest/.install.lock" >&2; return 1; }
  fi
  if is_current; then
    echo "$what already installed in $dest"
    return 0
  fi
  command -v npm >/dev/null 2>&1 || { echo "install.sh: npm not found on PATH (needed to install $what)" >&2; return 1; }
  cp "$here/package.json" "$here/package-lock.json" "$dest/"
  start=$SECONDS
  if ! (cd "$dest" && npm ci --ignore-scripts --engine-strict=false --no-audit --no-fund --loglevel=warn >"$dest/npm-ci.log" 2>&1); then
    echo "install.sh: 'npm ci --ignore-scripts' failed in $dest; last lines of $dest/npm-ci.log:" >&2
    tail -n 30 "$dest/npm-ci.log" >&2
    return 1
  fi
  is_current || { echo "install.sh: npm ci finished but $what is not in $dest/node_modules" >&2; return 1; }
  echo "$what installed into $dest in $((SECONDS - start)) s"
}
