#!/usr/bin/env bash
# Runs the Rust benches (criterion) and the Node.js `jose` baseline (what @auth0/nextjs-auth0
# does) back to back on this machine, and prints one Markdown table of medians for
# BENCHMARKS.md. Not run by CI. Usage: benches/compare.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
quick=${1:-}
crit_args=()
jose_args=()
if [ "$quick" = "--quick" ]; then
  crit_args=(--warm-up-time 1 --measurement-time 2)
  jose_args=(--runs 3 --ms 100)
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Keep the raw outputs when asked (COMPARE_KEEP=dir).
keep=${COMPARE_KEEP:-}

(cd benches/jose && { [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null; })
cargo bench --bench core -- "${crit_args[@]}" | tee "$out/rust.txt" | grep -E "time:" >&2
node benches/jose/bench.mjs "${jose_args[@]}" | tee "$out/jose.txt" | grep -E '^\|' >&2
if [ -n "$keep" ]; then mkdir -p "$keep" && cp "$out"/*.txt "$keep"/; fi

python3 - "$out/rust.txt" "$out/jose.txt" <<'PY'
import json, re, sys
units = {"ns": 1e-3, "µs": 1.0, "us": 1.0, "ms": 1e3, "s": 1e6}
rust = {}
name = None
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"^(\S.*?)\s+time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", line)
    if not m:
        m2 = re.match(r"^(\S.*\S)\s*$", line)
        if m2 and "time:" not in line and not line.startswith(("Benchmarking", "Found", "  ", "Warning")):
            name = m2.group(1)
        m = re.match(r"^\s+time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", line)
        if m and name:
            rust[name] = float(m.group(1)) * units[m.group(2)]
        continue
    rust[m.group(1)] = float(m.group(2)) * units[m.group(3)]
jose = {}
for line in open(sys.argv[2], encoding="utf-8"):
    if line.startswith("{"):
        r = json.loads(line)
        jose[r["bench"]] = r["median_us"]
rc = " [rust-crypto]"
rows = [
    ("open 1 KB session cookie", "session open 1k", "session_open_1k"),
    ("open 4 KB session cookie (2 chunks)", "session open 4k", "session_open_4k"),
    ("seal 1 KB session cookie", "session seal 1k", "session_seal_1k"),
    ("seal 4 KB session cookie (2 chunks)", "session seal 4k", "session_seal_4k"),
    ("chunk split 5.6 KB (Set-Cookie values)", "chunk split 5.6k", None),
    ("chunk join 5.6 KB", "chunk join 5.6k", None),
    ("PKCE verifier + S256 challenge", "pkce", "pkce"),
    ("HKDF key derivation (done once here)", "hkdf key derivation", None),
    ("ES256 sign (jws::sign_es256)", "es256 sign", "es256_sign"),
    ("DPoP proof (against Node's ES256 sign)", "dpop proof", "es256_sign"),
    ("p256 bare ECDSA sign (reference)", "p256 bare sign", None),
    ("ES256 verify", "es256 verify", "es256_verify"),
    ("RS256-2048 verify", "rs256-2048 verify", "rs256_verify"),
    ("*ring*'s own RS256-2048 verify (reference, allocates)", "ring bare rs256-2048 verify (reference)", "rs256_verify"),
    ("**RustCrypto provider (no_std, embassy)**", None, None),
    ("open 1 KB session cookie", "session open 1k" + rc, "session_open_1k"),
    ("open 4 KB session cookie (2 chunks)", "session open 4k" + rc, "session_open_4k"),
    ("seal 1 KB session cookie", "session seal 1k" + rc, "session_seal_1k"),
    ("seal 4 KB session cookie (2 chunks)", "session seal 4k" + rc, "session_seal_4k"),
    ("ES256 sign (jws::sign_es256)", "es256 sign" + rc, "es256_sign"),
    ("DPoP proof", "dpop proof" + rc, "es256_sign"),
    ("ES256 verify", "es256 verify" + rc, "es256_verify"),
    ("RS256-2048 verify", "rs256-2048 verify" + rc, "rs256_verify"),
]
print("| operation | auth0-edge (µs) | Node `jose` / SDK path (µs) | speed-up |")
print("|---|---:|---:|---:|")
for label, r, j in rows:
    if r is None:
        print(f"| {label} | | | |")
        continue
    rv = rust.get(r)
    jv = jose.get(j) if j else None
    rs = f"{rv:.2f}" if rv is not None else "–"
    js = f"{jv:.1f}" if jv is not None else "–"
    sp = (f"{jv / rv:.0f}×" if jv / rv >= 10 else f"{jv / rv:.1f}×") if rv and jv else "–"
    print(f"| {label} | {rs} | {js} | {sp} |")
PY
