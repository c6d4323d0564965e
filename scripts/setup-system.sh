#!/usr/bin/env bash
# System packages the tests drive for real: Debian's Chromium (UI end-to-end tests),
# dash and busybox (join.sh must run under both). Never a browser download of a tool's own.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v dash >/dev/null 2>&1 || need+=(dash)
command -v busybox >/dev/null 2>&1 || need+=(busybox)
command -v curl >/dev/null 2>&1 || need+=(curl)
((${#need[@]})) || exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "missing: ${need[*]}; install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" fonts-dejavu-core >/dev/null
