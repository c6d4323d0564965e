#!/usr/bin/env bash
# System packages the tests drive for real: Debian's Chromium (UI end-to-end tests),
# dash and busybox (join.sh must run under both), and the judges of each ecosystem:
# zbarimg (QR codes), pdftoppm, PostgreSQL server binaries, testssl.sh, promtool,
# ansible-inventory, aiosmtpd. Never a browser download of a tool's own.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v dash >/dev/null 2>&1 || need+=(dash)
command -v busybox >/dev/null 2>&1 || need+=(busybox)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
[[ -x /usr/lib/postgresql/15/bin/initdb ]] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v testssl >/dev/null 2>&1 || command -v testssl.sh >/dev/null 2>&1 || need+=(testssl.sh)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v ansible-inventory >/dev/null 2>&1 || need+=(ansible-core)
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || need+=(python3-aiosmtpd)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
((${#need[@]})) || exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "missing: ${need[*]}; install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" fonts-dejavu-core >/dev/null
