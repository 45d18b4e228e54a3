#!/usr/bin/env bash
# Requests per second of the same handler with no auth, behind the layer (unprotected), and
# behind the layer with the User extractor (the session opened, or taken from the
# opened-sessions cache, and with the cache off; re-sealed only when due, and on every request
# with a rolling threshold of 0), and of /auth/profile against a plain axum
# JSON route, with wrk (Debian's `wrk`). Each row is measured right after its reference (no
# auth with the same request; the JSON route for /auth/profile), in `rounds` rounds over all
# rows, and the medians reported. Not run by CI.
#
# Usage: benches/throughput.sh [seconds=10] [connections=32] [rounds=3]
# The server gets one core (BENCH_WORKERS=1 tokio worker, pinned with taskset when present),
# wrk one thread on the other core.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
rounds=${3:-3}
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk"; exit 1; }
cargo build -q --release --example bench_server
out=$(mktemp)
pin_server=(); pin_wrk=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then pin_server=(taskset -c 0); pin_wrk=(taskset -c 1); fi
BENCH_WORKERS=1 "${pin_server[@]}" target/release/examples/bench_server > "$out" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q '^SESSION_BYTES' "$out" && break; sleep 0.1; done
noauth=$(awk '/^NOAUTH/{print $2}' "$out")
public=$(awk '/^PUBLIC/{print $2}' "$out")
protected=$(awk '/^PROTECTED/{print $2}' "$out")
samebytes=$(awk '/^SAMEBYTES/{print $2}' "$out")
reseal=$(awk '/^RESEAL/{print $2}' "$out")
profile=$(awk '/^PROFILE/{print $2}' "$out")
json=$(awk '/^JSON/{print $2}' "$out")
uncached=$(awk '/^UNCACHED/{print $2}' "$out")
cookie=$(awk '/^COOKIE/{print $2}' "$out")
echo "session JSON: $(awk '/^SESSION_BYTES/{print $2}' "$out") bytes; cookie: ${#cookie} bytes"
# `cookie` is what the SDK's generateSessionCookie gives: expiring in an hour, so a roll (to a
# day from now) is due on every request. `fresh` is the cookie a roll just wrote (a day from
# now): with the default threshold (60 s) it needs no re-seal for a minute, so a new one is
# taken before each row that sends it (a row takes 12 s).
fresh_cookie() {
  curl -s -D - -o /dev/null -H "Cookie: $cookie" "$public" | tr -d '\r' | awk -F'[ ;]' 'tolower($1)=="set-cookie:" && $2 ~ /^__session=/ {print $2; exit}'
}
fresh=$(fresh_cookie)
[ -n "$fresh" ] || { echo "no rolled cookie from $public"; exit 1; }
# One measurement: 1 s of warm-up, then `secs` seconds; prints req/s.
rps() {
  local url=$1; shift
  "${pin_wrk[@]}" wrk -t1 -c"$conns" -d1s "$@" "$url" >/dev/null
  "${pin_wrk[@]}" wrk -t1 -c"$conns" -d"${secs}s" "$@" "$url" | awk '/Requests\/sec/{print $2}'
}
# A row: its route, and its reference measured just before it with the same request (this
# VM's loopback throughput drifts by 10-40 % over minutes, so a reference measured minutes
# earlier says little). `cookie` = the SDK's cookie (a re-seal due); `fresh` = a cookie a roll
# just wrote (no re-seal due for a minute); `none` = no cookie.
rows=(
  "no auth (no layer), no cookie|noauth|none|noauth"
  "unprotected, behind the layer, no cookie|public|none|noauth"
  "unprotected, behind the layer, with a session (no re-seal due)|public|fresh|noauth"
  "protected (\`User\`), cookie needing no re-seal|protected|fresh|noauth"
  "protected (\`User\`), cookie needing no re-seal, opened-sessions cache off|uncached|fresh|noauth"
  "protected (\`User\`), cookie due for re-seal (re-sealed)|protected|cookie|noauth"
  "protected (\`User\`), rolling threshold 0 (the SDK's: re-sealed every request)|reseal|fresh|noauth"
  "no auth, answering with a rolled session's headers (no crypto)|samebytes|cookie|noauth"
  "\`/auth/profile\` with a valid session|profile|fresh|json"
)
results=$(mktemp)
for round in $(seq "$rounds"); do
  for row in "${rows[@]}"; do
    IFS='|' read -r label route which ref <<<"$row"
    header=()
    case $which in
      cookie) header=(-H "Cookie: $cookie") ;;
      fresh) fresh=$(fresh_cookie); header=(-H "Cookie: $fresh") ;;
    esac
    # The reference gets the same Cookie header (no auth reads none of it); the route is
    # measured right after it.
    ref_header=("${header[@]}")
    [ "$which" = none ] && [ "$ref" = noauth ] && ref_header=(-H "Cookie: $cookie")
    base=$(rps "${!ref}" "${ref_header[@]}")
    v=$(rps "${!route}" "${header[@]}")
    printf '%s|%s|%s|%s\n' "$round" "$label" "$base" "$v" | tee -a "$results" >&2
  done
done
python3 - "$results" "$rounds" <<'PY'
import statistics, sys
rows = {}
order = []
for line in open(sys.argv[1]):
    _, label, base, v = line.rstrip("\n").split("|")
    if label not in rows:
        rows[label] = []
        order.append(label)
    rows[label].append((float(base), float(v)))
print()
print(f"Median of {sys.argv[2]} rounds; each row's percentage is of its reference measured just")
print("before it with the same request (no auth, or the plain axum JSON route for /auth/profile).")
print()
print("| route | req/s | reference req/s | % of reference (each round) | median |")
print("|---|---:|---:|---|---:|")
for label in order:
    pairs = rows[label]
    ratios = [v / b for b, v in pairs]
    each = " / ".join(f"{r:.0%}" for r in ratios)
    med_v = statistics.median(v for _, v in pairs)
    med_b = statistics.median(b for b, _ in pairs)
    print(f"| {label} | {med_v:,.0f} | {med_b:,.0f} | {each} | **{statistics.median(ratios):.0%}** |")
PY
rm -f "$results"
