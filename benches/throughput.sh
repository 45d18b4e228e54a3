#!/usr/bin/env bash
# Requests per second of the same handler with no auth, behind the layer (unprotected), and
# behind the layer with the User extractor (the session opened, or taken from the
# opened-sessions cache, and with the cache off; re-sealed only when due, and on every request
# with a rolling threshold of 0), and of /auth/profile against a plain axum
# JSON route, measured back to back with wrk (Debian's `wrk`). Not run by CI.
#
# Usage: benches/throughput.sh [seconds=10] [connections=32]
# The server gets one core (BENCH_WORKERS=1 tokio worker, pinned with taskset when present),
# wrk one thread on the other core.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
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
run() {
  local label=$1 url=$2; shift 2
  "${pin_wrk[@]}" wrk -t1 -c"$conns" -d2s "$@" "$url" >/dev/null
  local rps
  rps=$("${pin_wrk[@]}" wrk -t1 -c"$conns" -d"${secs}s" --latency "$@" "$url" | awk '/Requests\/sec/{print $2}')
  printf '%-48s %10s req/s\n' "$label" "$rps"
  echo "$rps"
}
a=$(run "no auth (no layer), same Cookie header" "$noauth" -H "Cookie: $cookie" | tail -1)
a0=$(run "no auth (no layer), no cookie" "$noauth" | tail -1)
b=$(run "unprotected route behind the layer, no cookie" "$public" | tail -1)
fresh=$(fresh_cookie)
c=$(run "unprotected route behind the layer, session, no re-seal" "$public" -H "Cookie: $fresh" | tail -1)
fresh=$(fresh_cookie)
d=$(run "protected route (User), no re-seal due" "$protected" -H "Cookie: $fresh" | tail -1)
fresh=$(fresh_cookie)
u=$(run "protected route (User), no re-seal, cache off" "$uncached" -H "Cookie: $fresh" | tail -1)
r=$(run "protected route (User), cookie due for re-seal" "$protected" -H "Cookie: $cookie" | tail -1)
fresh=$(fresh_cookie)
r0=$(run "protected route (User), threshold 0 (the SDK's)" "$reseal" -H "Cookie: $fresh" | tail -1)
e=$(run "no auth, a rolled session's headers, no crypto" "$samebytes" -H "Cookie: $cookie" | tail -1)
fresh=$(fresh_cookie)
j=$(run "plain axum JSON route (the user), same Cookie" "$json" -H "Cookie: $fresh" | tail -1)
fresh=$(fresh_cookie)
p=$(run "/auth/profile, valid session" "$profile" -H "Cookie: $fresh" | tail -1)
python3 - "$a" "$a0" "$b" "$c" "$d" "$e" "$r" "$j" "$p" "$r0" "$u" <<'PY'
import sys
a, a0, b, c, d, e, r, j, p, r0, u = map(float, sys.argv[1:])
print()
print("| route | req/s | vs no auth (same request) |")
print("|---|---:|---:|")
for label, v in [("no auth (no layer), the browser's Cookie header sent as well", a),
                 ("no auth (no layer), no cookie", a0),
                 ("unprotected, behind the layer, no cookie", b),
                 ("unprotected, behind the layer, with a session (no re-seal due)", c),
                 ("protected (`User`), cookie needing no re-seal", d),
                 ("protected (`User`), cookie needing no re-seal, opened-sessions cache off", u),
                 ("protected (`User`), cookie due for re-seal (re-sealed)", r),
                 ("protected (`User`), rolling threshold 0 (the SDK's: re-sealed every request)", r0),
                 ("no auth, answering with a rolled session's headers (no crypto)", e)]:
    print(f"| {label} | {v:,.0f} | {v / a:.0%} |")
print()
print("| route | req/s | vs plain axum JSON route |")
print("|---|---:|---:|")
for label, v in [("plain axum JSON route (the user claims), same Cookie header", j),
                 ("`/auth/profile` with a valid session", p)]:
    print(f"| {label} | {v:,.0f} | {v / j:.0%} |")
PY
