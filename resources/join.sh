#!/bin/sh
# Gatehouse enrolment script: registers this machine with a registration token, waits
# for the admin's approval and installs a heartbeat. POSIX sh + curl (dash, busybox sh).
#
#   curl … /join.sh | GATEHOUSE_TOKEN='GATE-…' sh
#   sh join.sh [--no-install] [--heartbeat-once] [--rotate] [--reenrol] [TOKEN]
#
# The token comes from the TOKEN argument, else GATEHOUSE_TOKEN, else a prompt on the
# terminal (not echoed), so it need never appear in a process list.
#
# Safe to re-run (config management may run it on every pass): a host whose stored
# credential works is left as it is; a request still waiting is waited for again rather
# than registered twice; a refused or rejected credential is replaced by a new request.
# --reenrol asks for a new enrolment of a working host; the working one is kept until
# the admin approves the new request.
#
# Exit status: 0 enrolled (or already enrolled), 1 failure, 2 usage, 3 rejected or
# withdrawn, 4 disabled.
#
# Environment (all optional):
#   GATEHOUSE_TOKEN               registration token, when not given as an argument
#   GATEHOUSE_URL                 Gatehouse LAN URL (default: the server that served this script)
#   GATEHOUSE_PIN                 base64 SHA-256 key pin; empty for plain HTTP (default: the serving key)
#   GATEHOUSE_STATE_DIR           where state.json and pending.json live, 0600 (default /etc/gatehouse)
#   GATEHOUSE_MACHINE_ID          machine id (default /etc/machine-id, /var/lib/dbus/machine-id)
#   GATEHOUSE_HOSTNAME            host name to register (default: hostname)
#   GATEHOUSE_POLL_SECONDS        approval poll interval in the first minutes (default 3)
#   GATEHOUSE_POLL_FAST_SECONDS   how long to poll at that interval (default 300)
#   GATEHOUSE_POLL_MAX_SECONDS    longest interval the poll then backs off to (default 30)
#   GATEHOUSE_WAIT_SECONDS        give up waiting for approval after this long (default 86400)
#   GATEHOUSE_RETRY_SECONDS       keep retrying an unreachable or rate-limiting server this long (default 900)
#   GATEHOUSE_SYSFS_ROOT          where sysfs is mounted, read for hardware facts (default /sys)
#   GATEHOUSE_PROCFS_ROOT         where procfs is mounted, read for hardware facts (default /proc)
#   GATEHOUSE_OS_RELEASE          os-release file for the OS name (default /etc/os-release)
#   GATEHOUSE_SYSTEMD_RUN_DIR     present when systemd runs (default /run/systemd/system)
#   GATEHOUSE_UNIT_DIR            where the heartbeat units go (default /etc/systemd/system)
#   GATEHOUSE_CRON_DIR            where the cron fallback goes (default /etc/cron.d)
#
# Everything runs inside main(), called on the last line: a download cut short runs nothing.

# say MESSAGE: one line on stderr, with control characters (terminal escapes) removed,
# since much of what is printed comes from the server.
say() {
  _line=$(printf '%s' "$*" | LC_ALL=C tr '\011\012\015' '   ' | LC_ALL=C tr -d '\000-\037\177' |
    LC_ALL=C sed "s/$C1_CONTROL//g")
  printf 'gatehouse: %s\n' "$_line" >&2
}
die() {
  say "$*"
  exit "${EXIT_CODE:-1}"
}
usage() {
  say "usage: sh join.sh [--no-install] [--heartbeat-once] [--rotate] [--reenrol] [TOKEN]"
  exit 2
}

cleanup() {
  if [ -n "${SLEEP_PID:-}" ]; then kill "$SLEEP_PID" 2>/dev/null || true; fi
  if [ -n "${TTY_SAVED:-}" ]; then stty "$TTY_SAVED" </dev/tty 2>/dev/null || true; fi
  if [ -n "${WORK:-}" ]; then rm -rf "$WORK"; fi
  rm -f "$STATE_FILE.tmp" "$PENDING_FILE.tmp" 2>/dev/null || true
}

# pause SECONDS: a sleep that INT/TERM interrupt at once (the trap runs, then exits).
pause() {
  sleep "$1" &
  SLEEP_PID=$!
  wait "$SLEEP_PID" || true
  SLEEP_PID=
}

# json_field NAME FILE: the value of a flat "NAME": "string" or NAME: word in FILE.
json_field() {
  sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p; t; s/.*\"$1\"[[:space:]]*:[[:space:]]*\([A-Za-z0-9.]*\).*/\1/p" "$2" |
    head -n 1 | sed 's/^null$//'
}

# json_string VALUE: VALUE as a JSON string literal (control characters dropped).
json_string() {
  printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | LC_ALL=C tr -d '\000-\037\177')"
}

# api METHOD PATH [curl args…]: body to $BODY, headers to $RESPONSE_HEADERS, status code
# to $STATUS (000 when the server could not be reached; curl's exit code in $CURL_RC).
api() {
  _method=$1
  _path=$2
  shift 2
  if [ -n "$PIN" ]; then
    set -- -k --pinnedpubkey "sha256//$PIN" "$@"
  fi
  : >"$BODY"
  : >"$RESPONSE_HEADERS"
  CURL_RC=0
  STATUS=$(curl -sS -X "$_method" -o "$BODY" -D "$RESPONSE_HEADERS" -w '%{http_code}' --connect-timeout 10 \
    --max-time 30 -H 'Accept: application/json' "$@" "$URL$_path" 2>"$WORK/curl-error") || CURL_RC=$?
  [ "$CURL_RC" = 0 ] || STATUS=000
}

# retryable: whether the last call may succeed if repeated (network, overload, rate limit);
# a key that does not match the pin is never retried.
retryable() {
  case $STATUS in
    000)
      case $CURL_RC in
        5 | 6 | 7 | 16 | 18 | 28 | 52 | 55 | 56 | 92) return 0 ;;
        *) return 1 ;;
      esac
      ;;
    429 | 5??) return 0 ;;
    *) return 1 ;;
  esac
}

# retry_after: the Retry-After seconds of the last answer, if it gave any.
retry_after() {
  sed -n 's/^[Rr][Ee][Tt][Rr][Yy]-[Aa][Ff][Tt][Ee][Rr]:[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$RESPONSE_HEADERS" |
    head -n 1
}

# error_message: the contract error's message from $BODY, or why the server was not reached.
error_message() {
  if [ "$STATUS" = 000 ]; then
    _e=$(head -n 1 "$WORK/curl-error" 2>/dev/null || true)
    printf 'could not reach Gatehouse at %s (%s)' "$URL" "${_e:-curl exit $CURL_RC}"
    return 0
  fi
  _m=$(json_field message "$BODY" 2>/dev/null || true)
  _c=$(json_field code "$BODY" 2>/dev/null || true)
  if [ -n "$_m" ]; then printf '%s (%s)' "$_m" "$_c"; else printf 'HTTP status %s' "$STATUS"; fi
}

bearer_header() {
  printf 'Authorization: Bearer %s\n' "$HOST_TOKEN" >"$HEADERS"
}

# write_credentials FILE: the current URL, host and credential, 0600, replaced atomically.
write_credentials() {
  mkdir -p "$STATE_DIR"
  chmod 700 "$STATE_DIR" 2>/dev/null || true
  printf '{"lan_url": %s, "host_id": %s, "host_token": %s, "pin": %s}\n' \
    "$(json_string "$URL")" "$(json_string "$HOST_ID")" "$(json_string "$HOST_TOKEN")" "$(json_string "$PIN")" \
    >"$1.tmp"
  chmod 600 "$1.tmp"
  mv -f "$1.tmp" "$1"
}

# read_credentials FILE: URL, PIN, HOST_ID and HOST_TOKEN from a state file.
read_credentials() {
  URL=$(json_field lan_url "$1")
  HOST_ID=$(json_field host_id "$1")
  HOST_TOKEN=$(json_field host_token "$1")
  PIN=$(json_field pin "$1")
  [ -n "$HOST_TOKEN" ] || die "$1 holds no credential"
}

read_state() {
  [ -r "$STATE_FILE" ] || die "no enrolment state in $STATE_DIR; run join.sh with a token first"
  read_credentials "$STATE_FILE"
}

# probe: what the server says of the loaded credential, in $HOST_STATUS: APPROVED,
# DISABLED, PENDING, REJECTED, REFUSED (401: withdrawn, deleted or retired) or UNREACHABLE.
probe() {
  bearer_header
  api GET /api/hosts/me -H "@$HEADERS"
  case $STATUS in
    200) HOST_STATUS=$(json_field status "$BODY") ;;
    401) HOST_STATUS=REFUSED ;;
    *) HOST_STATUS=UNREACHABLE ;;
  esac
}

# adopt_pending: an approved new request becomes this host's state.
adopt_pending() {
  chmod 600 "$PENDING_FILE"
  mv -f "$PENDING_FILE" "$STATE_FILE"
}

# settle_pending: a request left by an earlier run that the admin has decided since is
# adopted (approved) or dropped (rejected, withdrawn); one still waiting is kept.
settle_pending() {
  [ -r "$PENDING_FILE" ] || return 0
  read_credentials "$PENDING_FILE"
  probe
  case $HOST_STATUS in
    APPROVED) adopt_pending ;;
    REJECTED | REFUSED | DISABLED) rm -f "$PENDING_FILE" ;;
  esac
}

heartbeat() {
  bearer_header
  api POST /api/hosts/heartbeat -H "@$HEADERS"
  [ "$STATUS" = 204 ] || die "heartbeat refused: $(error_message)"
}

heartbeat_once() {
  # A re-enrolment approved while nobody waited for it retires the old credential:
  # take the new one first.
  if [ -r "$PENDING_FILE" ]; then settle_pending; fi
  read_state
  heartbeat
  if [ -t 1 ]; then printf 'gatehouse: heartbeat accepted by %s for host %s\n' "$URL" "$HOST_ID"; fi
}

rotate() {
  read_state
  bearer_header
  api POST /api/hosts/credentials/rotate -H "@$HEADERS"
  [ "$STATUS" = 200 ] || die "rotation refused: $(error_message)"
  NEW_TOKEN=$(json_field host_token "$BODY")
  [ -n "$NEW_TOKEN" ] || die "rotation answer held no credential"
  HOST_TOKEN=$NEW_TOKEN
  write_credentials "$STATE_FILE"
  # The first use of the new credential retires the old one.
  heartbeat
  say "credential rotated"
}

machine_id() {
  if [ -n "${GATEHOUSE_MACHINE_ID:-}" ]; then
    printf '%s' "$GATEHOUSE_MACHINE_ID"
    return 0
  fi
  for _f in /etc/machine-id /var/lib/dbus/machine-id; do
    if [ -s "$_f" ]; then
      tr -dc 'A-Za-z0-9' <"$_f"
      return 0
    fi
  done
  die "no machine id: set GATEHOUSE_MACHINE_ID"
}

# first_line FILE: its first line without surrounding blanks or control characters; nothing
# if it cannot be read (many DMI files are root-only).
first_line() {
  if [ -f "$1" ] && [ -r "$1" ]; then
    head -n 1 "$1" 2>/dev/null | LC_ALL=C tr -d '\000-\037\177' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//'
  fi
}

# meaningful VALUE: VALUE unless it is a firmware placeholder, which would make every
# such machine look like one and trip the clone alarm.
meaningful() {
  _lower=$(printf '%s' "$1" | tr 'A-Z' 'a-z')
  case $_lower in
    '' | *'to be filled'* | *'not specified'* | *'not applicable'* | *'default string'* | *'o.e.m'* | \
      'system serial number' | 'system product name' | 'system manufacturer' | 'chassis serial number' | \
      'base board serial number' | 'none' | 'n/a' | 'na' | 'unknown' | '0' | '0123456789' | '123456789' | \
      'xxxxxxxxxxxx' | '00000000-0000-0000-0000-000000000000' | 'ffffffff-ffff-ffff-ffff-ffffffffffff' | \
      '03000200-0400-0500-0006-000700080009') ;;
    *) printf '%s' "$1" ;;
  esac
}

os_release() {
  _pretty=$(sed -n 's/^PRETTY_NAME=//p' "$OS_RELEASE_FILE" 2>/dev/null | head -n 1 |
    sed "s/^\"\(.*\)\"\$/\1/; s/^'\(.*\)'\$/\1/")
  if [ -n "$_pretty" ]; then printf '%s' "$_pretty"; else uname -s; fi
}

valid_ipv4() {
  case $1 in '' | *[!0-9.]* | .* | *. | *..*) return 1 ;; esac
  _old_ifs=$IFS
  IFS=.
  # shellcheck disable=SC2086
  set -- $1
  IFS=$_old_ifs
  [ $# = 4 ] || return 1
  for _octet in "$@"; do
    case $_octet in 0?*) return 1 ;; esac
    [ "${#_octet}" -le 3 ] && [ "$_octet" -le 255 ] || return 1
  done
}

# add_fact KEY JSON: one member of the facts object.
add_fact() {
  if [ -n "$2" ]; then FACTS="${FACTS:+$FACTS, }\"$1\": $2"; fi
}

# text_fact KEY VALUE MAX: a string fact, cut to MAX characters, placeholders left out.
text_fact() {
  _v=$(meaningful "$(printf '%s' "$2" | cut -c "1-$3")")
  if [ -n "$_v" ]; then add_fact "$1" "$(json_string "$_v")"; fi
}

# number_fact KEY VALUE MAX: a whole-number fact, left out unless 0 < VALUE <= MAX.
number_fact() {
  case $2 in '' | *[!0-9]*) return 0 ;; esac
  if [ "${#2}" -le 12 ] && [ "$2" -gt 0 ] && [ "$2" -le "$3" ]; then add_fact "$1" "$2"; fi
}

# collect_facts: the hardware facts, best effort, as a JSON object in $FACTS_JSON.
# Nothing here may stop the enrolment: every read tolerates a missing or unreadable file.
collect_facts() {
  FACTS=
  _dmi=$SYSFS_ROOT/class/dmi/id
  text_fact vendor "$(first_line "$_dmi/sys_vendor")" 128
  text_fact model "$(first_line "$_dmi/product_name")" 128
  text_fact serial "$(first_line "$_dmi/product_serial")" 128
  text_fact system_uuid "$(first_line "$_dmi/product_uuid" | tr 'A-F' 'a-f')" 64
  text_fact board_serial "$(first_line "$_dmi/board_serial")" 128

  # Physical NICs have a device link; virtual ones (lo, bridges, veth) do not.
  _macs=
  _count=0
  for _nic in "$SYSFS_ROOT"/class/net/*; do
    [ -e "$_nic/device" ] || [ -L "$_nic/device" ] || continue
    _mac=$(first_line "$_nic/address" | tr 'A-F' 'a-f')
    _hex='[0-9a-f][0-9a-f]'
    # shellcheck disable=SC2254
    case $_mac in
      00:00:00:00:00:00) continue ;;
      $_hex:$_hex:$_hex:$_hex:$_hex:$_hex) ;;
      *) continue ;;
    esac
    case " $_macs " in *"\"$_mac\""*) continue ;; esac
    [ "$_count" -lt 64 ] || break
    _macs="${_macs:+$_macs, }\"$_mac\""
    _count=$((_count + 1))
  done
  if [ -n "$_macs" ]; then add_fact macs "[$_macs]"; fi

  _cpuinfo=$PROCFS_ROOT/cpuinfo
  if [ -r "$_cpuinfo" ]; then
    _cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' "$_cpuinfo" 2>/dev/null | head -n 1)
    # ARM boards name the board (Model) or SoC (Hardware) instead.
    [ -n "$_cpu" ] || _cpu=$(sed -n 's/^Model[[:space:]]*:[[:space:]]*//p' "$_cpuinfo" 2>/dev/null | head -n 1)
    [ -n "$_cpu" ] || _cpu=$(sed -n 's/^Hardware[[:space:]]*:[[:space:]]*//p' "$_cpuinfo" 2>/dev/null | head -n 1)
    text_fact cpu_model "$(printf '%s' "$_cpu" | LC_ALL=C tr -d '\000-\037\177' | sed 's/[[:space:]]*$//')" 256
    number_fact cpus "$(grep -c '^processor[[:space:]]*:' "$_cpuinfo" 2>/dev/null || true)" 100000
  fi
  _kb=$(sed -n 's/^MemTotal:[[:space:]]*\([0-9][0-9]*\)[[:space:]]*kB.*/\1/p' "$PROCFS_ROOT/meminfo" 2>/dev/null |
    head -n 1)
  case $_kb in '' | *[!0-9]*) ;; *) number_fact memory_mb "$((_kb / 1024))" 1000000000 ;; esac

  # Whole disks only: no partitions, loop devices, RAM disks or device-mapper volumes.
  _disks=
  _count=0
  for _block in "$SYSFS_ROOT"/class/block/*; do
    _name=${_block##*/}
    case $_name in '*' | loop* | ram* | zram* | dm-*) continue ;; esac
    [ ! -e "$_block/partition" ] || continue
    _sectors=$(first_line "$_block/size")
    case $_sectors in '' | *[!0-9]*) continue ;; esac
    [ "${#_sectors}" -le 15 ] && [ "$_sectors" -gt 0 ] || continue
    [ "$_count" -lt 128 ] || break
    # size counts 512-byte sectors whatever the device's own sector size; GB are 10^9 bytes.
    _tenths=$((_sectors * 512 / 100000000))
    _disks="${_disks:+$_disks, }{\"name\": $(json_string "$(printf '%s' "$_name" | cut -c 1-64)"), \"size_gb\": $((_tenths / 10)).$((_tenths % 10))}"
    _count=$((_count + 1))
  done
  if [ -n "$_disks" ]; then add_fact disks "[$_disks]"; fi

  if command -v ipmitool >/dev/null 2>&1; then
    if command -v timeout >/dev/null 2>&1; then _bounded='timeout 10'; else _bounded=; fi
    # shellcheck disable=SC2086
    _bmc=$($_bounded ipmitool lan print </dev/null 2>/dev/null |
      sed -n 's/^IP Address[[:space:]]*:[[:space:]]*\([0-9.]*\).*/\1/p' | head -n 1 || true)
    if [ "$_bmc" != 0.0.0.0 ] && valid_ipv4 "$_bmc"; then add_fact bmc_ip "\"$_bmc\""; fi
  fi

  text_fact os_release "$(os_release)" 256
  _kernel=$(first_line "$PROCFS_ROOT/sys/kernel/osrelease")
  text_fact kernel "${_kernel:-$(uname -r 2>/dev/null || true)}" 256
  if [ -d "$SYSFS_ROOT/firmware" ]; then
    if [ -d "$SYSFS_ROOT/firmware/efi" ]; then add_fact firmware '"uefi"'; else add_fact firmware '"bios"'; fi
  fi
  FACTS_JSON="{$FACTS}"
}

ipv4_list() {
  _first=1
  for _ip in $( (hostname -I 2>/dev/null || true) | tr ' ' '\n' | head -n 16); do
    valid_ipv4 "$_ip" || continue
    [ $_first = 1 ] || printf ','
    printf '"%s"' "$_ip"
    _first=0
  done
}

random_key() {
  if [ -r /proc/sys/kernel/random/uuid ]; then
    cat /proc/sys/kernel/random/uuid
  else
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
  fi
}

# read_token: from the argument or GATEHOUSE_TOKEN, else asked for on the terminal
# without echo. Never passed to another program on its command line.
read_token() {
  [ -z "$TOKEN" ] || return 0
  # In a subshell: a failed redirection on a special built-in ends the shell running it.
  if ! (: </dev/tty) 2>/dev/null; then
    say "no registration token: pass it as GATEHOUSE_TOKEN='GATE-…' (or as the last argument)"
    exit 2
  fi
  TTY_SAVED=$(stty -g </dev/tty 2>/dev/null || true)
  stty -echo </dev/tty 2>/dev/null || true
  printf 'Registration token (not shown): ' >/dev/tty
  IFS= read -r TOKEN </dev/tty || TOKEN=
  if [ -n "$TTY_SAVED" ]; then stty "$TTY_SAVED" </dev/tty 2>/dev/null || true; fi
  TTY_SAVED=
  printf '\n' >/dev/tty
  [ -n "$TOKEN" ] || die "no registration token given"
}

# registration_body: the register request in $WORK/request, with or without facts.
registration_body() {
  printf '{"token": %s, "hostname": %s, "machine_id": %s, "os": %s, "arch": %s, "ips": [%s]%s}' \
    "$(json_string "$TOKEN")" "$(json_string "$REG_HOSTNAME")" "$(json_string "$REG_MACHINE_ID")" \
    "$(json_string "$(os_release | cut -c 1-120)")" "$(json_string "$(uname -m | cut -c 1-32)")" "$(ipv4_list)" \
    "${1:+, \"facts\": $1}" >"$WORK/request"
}

# register: a new request, kept in the pending file until the admin approves it.
register() {
  REG_HOSTNAME=${GATEHOUSE_HOSTNAME:-$(hostname 2>/dev/null || uname -n)}
  REG_MACHINE_ID=$(machine_id)
  collect_facts
  registration_body "$FACTS_JSON"
  _key=$(random_key)
  _spent=0
  _delay=2
  # Retries reuse the Idempotency-Key: a lost answer never costs a second token use.
  while :; do
    api POST /api/hosts/register -H 'Content-Type: application/json' -H "Idempotency-Key: $_key" \
      --data-binary "@$WORK/request"
    [ "$STATUS" != 201 ] || break
    if [ "$STATUS" = 400 ] && [ -n "$FACTS_JSON" ] && grep -q 'facts' "$BODY"; then
      # Facts are a convenience: a server that refuses them still gets the request.
      say "the server refused the hardware facts ($(error_message)); registering without them"
      FACTS_JSON=
      registration_body ''
      continue
    fi
    retryable || die "registration refused: $(error_message)"
    _wait=$(retry_after)
    if [ -z "$_wait" ]; then
      _wait=$_delay
      _delay=$((_delay * 2))
      [ "$_delay" -le 60 ] || _delay=60
    fi
    [ $((_spent + _wait)) -le "$RETRY_LIMIT" ] || die "registration failed, gave up after ${_spent} s: $(error_message)"
    if [ "$STATUS" = 429 ]; then
      say "the server is refusing registrations from this address for now; retrying in ${_wait} s"
    else
      say "$(error_message); retrying in ${_wait} s"
    fi
    pause "$_wait"
    _spent=$((_spent + _wait))
  done
  HOST_ID=$(json_field host_id "$BODY")
  HOST_TOKEN=$(json_field host_token "$BODY")
  _status=$(json_field status "$BODY")
  _code=$(json_field verification_code "$BODY")
  _replaces=$(json_field replaces "$BODY")
  [ -n "$HOST_ID" ] && [ -n "$HOST_TOKEN" ] || die "the registration answer held no credential"
  case $_code in
    [0-9][0-9][0-9][0-9][0-9][0-9]) ;;
    *) die "the registration answer held no verification code" ;;
  esac
  write_credentials "$PENDING_FILE"
  say "registered as $HOST_ID ($_status)"
  if [ -n "$_replaces" ]; then
    say "this is a re-enrolment of host $_replaces; it keeps working until the admin approves this request"
  fi
  printf '\n    Verification code: %s %s\n\n' "$(printf '%s' "$_code" | cut -c 1-3)" "$(printf '%s' "$_code" | cut -c 4-6)"
  say "read this code to the admin: it must match the one beside your request"
}

# wait_for_approval: polls the loaded credential every few seconds, then less often.
wait_for_approval() {
  _waited=0
  _delay=$POLL_FIRST
  _announced=0
  while :; do
    probe
    case $HOST_STATUS in
      APPROVED)
        say "approved"
        return 0
        ;;
      REJECTED)
        _reason=$(json_field reject_reason "$BODY")
        rm -f "$PENDING_FILE"
        if [ -n "$KEEPING" ]; then
          EXIT_CODE=3 die "the admin rejected the re-enrolment${_reason:+: $_reason}; this host stays enrolled as $KEEPING"
        fi
        EXIT_CODE=3 die "the admin rejected this host${_reason:+: $_reason}"
        ;;
      DISABLED)
        rm -f "$PENDING_FILE"
        EXIT_CODE=4 die "the admin disabled this host"
        ;;
      REFUSED)
        rm -f "$PENDING_FILE"
        EXIT_CODE=3 die "this request was withdrawn (deleted or replaced): $(error_message)"
        ;;
    esac
    if [ "$_announced" = 0 ]; then
      say "waiting for the admin to approve this request (checking every ${_delay} s); if you stop now, run the same command again to go on waiting"
      _announced=1
    fi
    [ "$_waited" -lt "$WAIT_LIMIT" ] || die "gave up waiting for approval after ${_waited} s"
    pause "$_delay"
    _waited=$((_waited + _delay))
    if [ "$_waited" -ge "$POLL_FAST_FOR" ]; then
      _delay=$((_delay * 2))
      [ "$_delay" -le "$POLL_MAX" ] || _delay=$POLL_MAX
    fi
  done
}

# shell_quote VALUE: VALUE in single quotes, safe in a command line.
shell_quote() {
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

systemd_unit() {
  # The heartbeat needs the network and its state directory, nothing else.
  case $STATE_DIR in
    /home/* | /root/* | /run/user/*) _protect_home=read-only ;;
    *) _protect_home=yes ;;
  esac
  cat <<UNIT
[Unit]
Description=Gatehouse heartbeat
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
Environment=GATEHOUSE_STATE_DIR=$STATE_DIR
ExecStart=/bin/sh $STATE_DIR/join.sh --heartbeat-once
UMask=0077
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=$STATE_DIR
ProtectHome=$_protect_home
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
CapabilityBoundingSet=
UNIT
}

install_heartbeat() {
  # A local copy of this script runs the heartbeat; fetched through the same pin.
  api GET /join.sh
  [ "$STATUS" = 200 ] || die "could not fetch join.sh for the heartbeat: $(error_message)"
  cp "$BODY" "$STATE_DIR/join.sh.tmp"
  # Run as `sh join.sh`, so it needs no execute bit: every file here stays 0600.
  chmod 600 "$STATE_DIR/join.sh.tmp"
  mv -f "$STATE_DIR/join.sh.tmp" "$STATE_DIR/join.sh"
  if [ -d "$SYSTEMD_RUN_DIR" ] && command -v systemctl >/dev/null 2>&1; then
    systemd_unit >"$UNIT_DIR/gatehouse-heartbeat.service"
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
    chmod 644 "$UNIT_DIR/gatehouse-heartbeat.service" "$UNIT_DIR/gatehouse-heartbeat.timer"
    systemctl daemon-reload
    systemctl enable --now gatehouse-heartbeat.timer
    say "heartbeat installed as systemd timer gatehouse-heartbeat.timer (every 30 s)"
  elif [ -d "$CRON_DIR" ]; then
    # cron runs each minute; the second entry beats half a minute later, well inside
    # the 90 s offline threshold.
    _beat="GATEHOUSE_STATE_DIR=$(shell_quote "$STATE_DIR") /bin/sh $(shell_quote "$STATE_DIR/join.sh") --heartbeat-once >/dev/null 2>&1"
    printf '* * * * * root %s\n* * * * * root sleep 30; %s\n' "$_beat" "$_beat" >"$CRON_DIR/gatehouse-heartbeat.tmp"
    chmod 644 "$CRON_DIR/gatehouse-heartbeat.tmp"
    mv -f "$CRON_DIR/gatehouse-heartbeat.tmp" "$CRON_DIR/gatehouse-heartbeat"
    say "heartbeat installed in $CRON_DIR/gatehouse-heartbeat (every 30 s)"
  else
    say "no systemd or cron here: run 'sh $STATE_DIR/join.sh --heartbeat-once' every 30 s yourself"
  fi
}

# finish: the loaded pending credential was approved; it becomes the state, beats once
# and gets a heartbeat installed.
finish() {
  adopt_pending
  heartbeat
  if [ "$INSTALL" = 1 ]; then install_heartbeat; else say "--no-install: no heartbeat installed"; fi
  say "enrolled as $HOST_ID"
}

join() {
  # The enrolment a re-enrolment keeps while the admin decides (named in messages).
  KEEPING=
  if [ -r "$STATE_FILE" ]; then KEEPING=$(json_field host_id "$STATE_FILE"); fi
  # A request from an earlier run is waited for again rather than registered twice.
  if [ -r "$PENDING_FILE" ]; then
    read_credentials "$PENDING_FILE"
    probe
    case $HOST_STATUS in
      PENDING)
        say "request $HOST_ID from an earlier run is still waiting; waiting for it instead of registering again"
        wait_for_approval
        finish
        return 0
        ;;
      APPROVED)
        say "request $HOST_ID from an earlier run was approved"
        finish
        return 0
        ;;
      UNREACHABLE) die "cannot check the waiting request, nothing changed: $(error_message)" ;;
      *) rm -f "$PENDING_FILE" ;;
    esac
  fi
  if [ -r "$STATE_FILE" ]; then
    read_credentials "$STATE_FILE"
    probe
    case $HOST_STATUS in
      APPROVED | DISABLED)
        if [ "$REENROL" = 0 ]; then
          say "already enrolled as $HOST_ID ($HOST_STATUS) with $URL; nothing changed (--reenrol asks for a new enrolment)"
          return 0
        fi
        say "asking to re-enrol; this host stays enrolled as $HOST_ID until the admin approves"
        ;;
      PENDING)
        # A state file left pending by an earlier version of this script.
        KEEPING=
        cp "$STATE_FILE" "$PENDING_FILE"
        say "request $HOST_ID from an earlier run is still waiting; waiting for it instead of registering again"
        wait_for_approval
        finish
        return 0
        ;;
      UNREACHABLE) die "cannot check the stored enrolment, nothing changed: $(error_message)" ;;
      *)
        KEEPING=
        say "the stored credential of $HOST_ID no longer works ($HOST_STATUS); registering anew"
        ;;
    esac
  fi
  URL=$JOIN_URL
  PIN=$JOIN_PIN
  [ -n "$URL" ] || die "no Gatehouse URL: fetch join.sh from Gatehouse, or set GATEHOUSE_URL"
  read_token
  register
  wait_for_approval
  finish
}

main() {
  set -eu
  umask 077
  C1_CONTROL="$(printf '\302')[$(printf '\200')-$(printf '\237')]"
  # The server fills these in, shell-quoted, when it serves this script.
  JOIN_URL=__GATEHOUSE_URL__
  JOIN_PIN=__GATEHOUSE_PIN__
  case $JOIN_URL in __GATEHOUSE_*) JOIN_URL= ;; esac
  case $JOIN_PIN in __GATEHOUSE_*) JOIN_PIN= ;; esac
  JOIN_URL=${GATEHOUSE_URL:-$JOIN_URL}
  JOIN_PIN=${GATEHOUSE_PIN-$JOIN_PIN}
  STATE_DIR=${GATEHOUSE_STATE_DIR:-/etc/gatehouse}
  STATE_FILE=$STATE_DIR/state.json
  PENDING_FILE=$STATE_DIR/pending.json
  POLL_FIRST=${GATEHOUSE_POLL_SECONDS:-3}
  POLL_FAST_FOR=${GATEHOUSE_POLL_FAST_SECONDS:-300}
  POLL_MAX=${GATEHOUSE_POLL_MAX_SECONDS:-30}
  [ "$POLL_FIRST" -le "$POLL_MAX" ] || POLL_FIRST=$POLL_MAX
  WAIT_LIMIT=${GATEHOUSE_WAIT_SECONDS:-86400}
  RETRY_LIMIT=${GATEHOUSE_RETRY_SECONDS:-900}
  SYSFS_ROOT=${GATEHOUSE_SYSFS_ROOT:-/sys}
  PROCFS_ROOT=${GATEHOUSE_PROCFS_ROOT:-/proc}
  OS_RELEASE_FILE=${GATEHOUSE_OS_RELEASE:-/etc/os-release}
  SYSTEMD_RUN_DIR=${GATEHOUSE_SYSTEMD_RUN_DIR:-/run/systemd/system}
  UNIT_DIR=${GATEHOUSE_UNIT_DIR:-/etc/systemd/system}
  CRON_DIR=${GATEHOUSE_CRON_DIR:-/etc/cron.d}
  # Taken into a variable and out of the environment, so no program started from here inherits it.
  TOKEN=${GATEHOUSE_TOKEN:-}
  unset GATEHOUSE_TOKEN

  INSTALL=1
  MODE=join
  REENROL=0
  while [ $# -gt 0 ]; do
    case $1 in
      --no-install) INSTALL=0 ;;
      --heartbeat-once) MODE=heartbeat ;;
      --rotate) MODE=rotate ;;
      --reenrol | --reenroll) REENROL=1 ;;
      -h | --help) usage ;;
      -*)
        say "unknown option: $1"
        usage
        ;;
      *) TOKEN=$1 ;;
    esac
    shift
  done

  WORK=
  SLEEP_PID=
  TTY_SAVED=
  trap cleanup EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
  command -v curl >/dev/null 2>&1 || die "curl is required"
  WORK=$(mktemp -d 2>/dev/null || mktemp -d -t gatehouse)
  BODY=$WORK/body
  HEADERS=$WORK/headers
  RESPONSE_HEADERS=$WORK/response-headers

  case $MODE in
    heartbeat) heartbeat_once ;;
    rotate) rotate ;;
    join) join ;;
  esac
}

main "$@"
