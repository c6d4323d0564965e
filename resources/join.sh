#!/bin/sh
# Gatehouse enrolment script: registers this machine with a registration token, waits
# for the admin's approval and installs a heartbeat. POSIX sh + curl (dash, busybox sh).
#
#   sh join.sh [--no-install] [--heartbeat-once] [--rotate] [TOKEN]
#
# State (0600 files) lives in $GATEHOUSE_STATE_DIR, default /etc/gatehouse.
set -eu

DEFAULT_URL='__GATEHOUSE_URL__'
DEFAULT_PIN='__GATEHOUSE_PIN__'
STATE_DIR=${GATEHOUSE_STATE_DIR:-/etc/gatehouse}
STATE_FILE=$STATE_DIR/state.json
POLL_MAX=${GATEHOUSE_POLL_MAX_SECONDS:-60}
# Where the heartbeat is installed; overridable so the install can be tried without touching /etc.
SYSTEMD_RUN_DIR=${GATEHOUSE_SYSTEMD_RUN_DIR:-/run/systemd/system}
UNIT_DIR=${GATEHOUSE_UNIT_DIR:-/etc/systemd/system}
CRON_DIR=${GATEHOUSE_CRON_DIR:-/etc/cron.d}
WAIT_LIMIT=${GATEHOUSE_WAIT_SECONDS:-86400}

umask 077

say() { printf '%s\n' "gatehouse: $*" >&2; }
die() { say "$*"; exit "${EXIT_CODE:-1}"; }
usage() { say "usage: sh join.sh [--no-install] [--heartbeat-once] [--rotate] [TOKEN]"; exit 2; }

INSTALL=1
MODE=join
TOKEN=${GATEHOUSE_TOKEN:-}
while [ $# -gt 0 ]; do
  case $1 in
    --no-install) INSTALL=0 ;;
    --heartbeat-once) MODE=heartbeat ;;
    --rotate) MODE=rotate ;;
    -h | --help) usage ;;
    -*) say "unknown option: $1"; usage ;;
    *) TOKEN=$1 ;;
  esac
  shift
done

command -v curl >/dev/null 2>&1 || die "curl is required"

WORK=$(mktemp -d 2>/dev/null || mktemp -d -t gatehouse)
trap 'rm -rf "$WORK"' EXIT INT TERM
BODY=$WORK/body
HEADERS=$WORK/headers

# json_field NAME FILE: the value of a flat "NAME": "string" or NAME: word in FILE.
json_field() {
  sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p; t; s/.*\"$1\"[[:space:]]*:[[:space:]]*\([A-Za-z0-9.]*\).*/\1/p" "$2" | head -n 1 | sed 's/^null$//'
}

# json_string VALUE: VALUE as a JSON string literal.
json_string() {
  printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\000-\037')"
}

# api METHOD PATH [curl args…]: body to $BODY, status code to $STATUS.
api() {
  _method=$1
  _path=$2
  shift 2
  if [ -n "$PIN" ]; then
    set -- -k --pinnedpubkey "sha256//$PIN" "$@"
  fi
  STATUS=$(curl -sS -X "$_method" -o "$BODY" -w '%{http_code}' --connect-timeout 10 --max-time 30 \
    -H 'Accept: application/json' "$@" "$URL$_path") || STATUS=000
}

# error_message: the contract error's message from $BODY, or the HTTP status.
error_message() {
  _m=$(json_field message "$BODY" 2>/dev/null || true)
  _c=$(json_field code "$BODY" 2>/dev/null || true)
  if [ -n "$_m" ]; then printf '%s (%s)' "$_m" "$_c"; else printf 'HTTP status %s' "$STATUS"; fi
}

bearer_header() {
  printf 'Authorization: Bearer %s\n' "$HOST_TOKEN" >"$HEADERS"
}

write_state() {
  mkdir -p "$STATE_DIR"
  chmod 700 "$STATE_DIR" 2>/dev/null || true
  printf '{"lan_url": "%s", "host_id": "%s", "host_token": "%s", "pin": "%s"}\n' \
    "$URL" "$HOST_ID" "$HOST_TOKEN" "$PIN" >"$STATE_FILE.tmp"
  chmod 600 "$STATE_FILE.tmp"
  mv -f "$STATE_FILE.tmp" "$STATE_FILE"
}

read_state() {
  [ -r "$STATE_FILE" ] || die "no enrolment state in $STATE_DIR; run join.sh with a token first"
  URL=$(json_field lan_url "$STATE_FILE")
  HOST_ID=$(json_field host_id "$STATE_FILE")
  HOST_TOKEN=$(json_field host_token "$STATE_FILE")
  PIN=$(json_field pin "$STATE_FILE")
  [ -n "$HOST_TOKEN" ] || die "$STATE_FILE holds no credential"
}

heartbeat() {
  bearer_header
  api POST /api/hosts/heartbeat -H "@$HEADERS"
  [ "$STATUS" = 204 ] || die "heartbeat refused: $(error_message)"
}

rotate() {
  bearer_header
  api POST /api/hosts/credentials/rotate -H "@$HEADERS"
  [ "$STATUS" = 200 ] || die "rotation refused: $(error_message)"
  NEW_TOKEN=$(json_field host_token "$BODY")
  [ -n "$NEW_TOKEN" ] || die "rotation answer held no credential"
  HOST_TOKEN=$NEW_TOKEN
  write_state
  # The first use of the new credential retires the old one.
  heartbeat
  say "credential rotated"
}

machine_id() {
  if [ -n "${GATEHOUSE_MACHINE_ID:-}" ]; then printf '%s' "$GATEHOUSE_MACHINE_ID"; return; fi
  for f in /etc/machine-id /var/lib/dbus/machine-id; do
    if [ -s "$f" ]; then tr -dc 'A-Za-z0-9' <"$f"; return; fi
  done
  die "no machine id: set GATEHOUSE_MACHINE_ID"
}

os_name() {
  if [ -r /etc/os-release ]; then
    (. /etc/os-release && printf '%s' "${PRETTY_NAME:-${NAME:-}}")
  else
    uname -s
  fi
}

ipv4_list() {
  _first=1
  for ip in $( (hostname -I 2>/dev/null || true) | tr ' ' '\n' | grep -E '^[0-9]+(\.[0-9]+){3}$' | head -n 16); do
    [ $_first = 1 ] || printf ','
    printf '"%s"' "$ip"
    _first=0
  done
}

random_key() {
  if [ -r /proc/sys/kernel/random/uuid ]; then cat /proc/sys/kernel/random/uuid; else od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; fi
}

register() {
  [ -n "$TOKEN" ] || usage
  _host=${GATEHOUSE_HOSTNAME:-$(hostname 2>/dev/null || uname -n)}
  _mid=$(machine_id)
  printf '{"token": %s, "hostname": %s, "machine_id": %s, "os": %s, "arch": %s, "ips": [%s]}' \
    "$(json_string "$TOKEN")" "$(json_string "$_host")" "$(json_string "$_mid")" \
    "$(json_string "$(os_name | cut -c1-120)")" "$(json_string "$(uname -m)")" "$(ipv4_list)" >"$WORK/request"
  _key=$(random_key)
  _try=1
  # Retries reuse the Idempotency-Key: a lost answer never costs a second token use.
  while :; do
    api POST /api/hosts/register -H 'Content-Type: application/json' -H "Idempotency-Key: $_key" \
      --data-binary "@$WORK/request"
    case $STATUS in
      201) break ;;
      000 | 5*) ;;
      429) ;;
      *) die "registration refused: $(error_message)" ;;
    esac
    [ $_try -lt 5 ] || die "registration failed: $(error_message)"
    sleep $((_try * 2))
    _try=$((_try + 1))
  done
  HOST_ID=$(json_field host_id "$BODY")
  HOST_TOKEN=$(json_field host_token "$BODY")
  _status=$(json_field status "$BODY")
  _code=$(json_field verification_code "$BODY")
  _replaces=$(json_field replaces "$BODY")
  write_state
  say "registered as $HOST_ID ($_status)"
  [ -z "$_replaces" ] || say "this is a re-enrolment of host $_replaces; the admin must approve it"
  printf '\n    Verification code: %s %s\n\n' "$(printf '%s' "$_code" | cut -c1-3)" "$(printf '%s' "$_code" | cut -c4-6)"
  say "read this code to the admin: it must match the one beside your request"
}

wait_for_approval() {
  _delay=1
  _waited=0
  while :; do
    bearer_header
    api GET /api/hosts/me -H "@$HEADERS"
    if [ "$STATUS" = 200 ]; then
      _status=$(json_field status "$BODY")
      case $_status in
        APPROVED) say "approved"; return 0 ;;
        REJECTED)
          _reason=$(json_field reject_reason "$BODY")
          EXIT_CODE=3 die "the admin rejected this host${_reason:+: $_reason}"
          ;;
        DISABLED) EXIT_CODE=4 die "the admin disabled this host" ;;
      esac
    elif [ "$STATUS" = 401 ]; then
      EXIT_CODE=3 die "this host's credential was withdrawn (the request was deleted): $(error_message)"
    fi
    [ "$_waited" -lt "$WAIT_LIMIT" ] || die "gave up waiting for approval after ${_waited}s"
    sleep "$_delay"
    _waited=$((_waited + _delay))
    _delay=$((_delay * 2))
    [ "$_delay" -le "$POLL_MAX" ] || _delay=$POLL_MAX
  done
}

install_heartbeat() {
  # A local copy of this script runs the heartbeat; fetched through the same pin.
  api GET /join.sh
  [ "$STATUS" = 200 ] || die "could not fetch join.sh for the heartbeat: $(error_message)"
  cp "$BODY" "$STATE_DIR/join.sh"
  # Run as `sh join.sh`, so it needs no execute bit: every file here stays 0600.
  chmod 600 "$STATE_DIR/join.sh"
  if [ -d "$SYSTEMD_RUN_DIR" ] && command -v systemctl >/dev/null 2>&1; then
    cat >"$UNIT_DIR/gatehouse-heartbeat.service" <<UNIT
[Unit]
Description=Gatehouse heartbeat
After=network-online.target

[Service]
Type=oneshot
Environment=GATEHOUSE_STATE_DIR=$STATE_DIR
ExecStart=/bin/sh $STATE_DIR/join.sh --heartbeat-once
UNIT
    cat >"$UNIT_DIR/gatehouse-heartbeat.timer" <<UNIT
[Unit]
Description=Gatehouse heartbeat every 30 seconds

[Timer]
OnBootSec=10
OnUnitActiveSec=30
AccuracySec=5

[Install]
WantedBy=timers.target
UNIT
    systemctl daemon-reload
    systemctl enable --now gatehouse-heartbeat.timer
    say "heartbeat installed as systemd timer gatehouse-heartbeat.timer"
  elif [ -d "$CRON_DIR" ]; then
    printf '* * * * * root GATEHOUSE_STATE_DIR=%s /bin/sh %s/join.sh --heartbeat-once >/dev/null 2>&1\n' \
      "$STATE_DIR" "$STATE_DIR" >"$CRON_DIR/gatehouse-heartbeat"
    say "heartbeat installed in $CRON_DIR/gatehouse-heartbeat (every minute)"
  else
    say "no systemd or cron here: run 'sh $STATE_DIR/join.sh --heartbeat-once' every 30 s yourself"
  fi
}

case $MODE in
  heartbeat)
    read_state
    heartbeat
    ;;
  rotate)
    read_state
    rotate
    ;;
  join)
    URL=${GATEHOUSE_URL:-$DEFAULT_URL}
    PIN=${GATEHOUSE_PIN-$DEFAULT_PIN}
    register
    wait_for_approval
    heartbeat
    if [ "$INSTALL" = 1 ]; then install_heartbeat; else say "--no-install: no heartbeat installed"; fi
    say "enrolled"
    ;;
esac
