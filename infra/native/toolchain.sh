#!/usr/bin/env bash
# Finds (or installs) the C toolchain the .NET Native AOT compiler links with, and prints the compiler command to pass
# as -p:CppCompilerAndLinker=… (its last stdout line). Microsoft's prerequisites for Linux are clang and zlib's headers
# (https://learn.microsoft.com/dotnet/core/deploying/native-aot/, "Prerequisites", Linux: `apt-get install clang zlib1g-dev`).
#   - `clang` on PATH: used.
#   - else a versioned clang (clang-14, clang-18, …) on PATH, as Debian installs it without the `clang` link: the newest.
#   - else, as root with apt-get (a CI machine), installs Debian's clang and zlib1g-dev, as scripts/test installs awscli.
#   - else one line on stderr saying what to install, and exit 1.
set -euo pipefail

find_clang() {
  if command -v clang >/dev/null 2>&1; then
    echo clang
    return 0
  fi
  local versioned
  versioned="$(compgen -c clang- | grep -E '^clang-[0-9]+$' | sort -t- -k2 -n | tail -n1 || true)"
  [[ -n "$versioned" ]] && echo "$versioned"
}

cc="$(find_clang || true)"
if [[ -z "$cc" || ! -e /usr/include/zlib.h ]]; then
  if ((EUID == 0)) && command -v apt-get >/dev/null 2>&1; then
    log=/tmp/s3fanout-apt-native.log
    echo "infra/native/toolchain.sh: installing Debian's clang and zlib1g-dev (log: $log)" >&2
    { apt-get install -y -q clang zlib1g-dev </dev/null >"$log" 2>&1 \
      || { apt-get update -q </dev/null >>"$log" 2>&1 && apt-get install -y -q clang zlib1g-dev </dev/null >>"$log" 2>&1; }; } \
      || { tail -n 20 "$log" >&2; echo "infra/native/toolchain.sh: installing clang and zlib1g-dev failed" >&2; exit 1; }
    cc="$(find_clang || true)"
  fi
fi
if [[ -z "$cc" || ! -e /usr/include/zlib.h ]]; then
  echo "infra/native/toolchain.sh: Native AOT needs clang and zlib's headers (Debian/Ubuntu: apt-get install clang zlib1g-dev)" >&2
  exit 1
fi
echo "$cc"
