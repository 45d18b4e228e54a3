#!/usr/bin/env bash
# The fuzz campaign (not run by CI): every target with debug assertions (overflow checks on),
# each until 10 M executions or 20 minutes, whichever comes first, with a dictionary where one
# helps. The corpus stays in fuzz/corpus/<target> (ignored by git) and grows across runs. Prints
# one line per target: executions, coverage (libFuzzer's cov: edges and ft: features), corpus
# size, seconds, and whether it crashed. Exits 1 if any target crashed (see fuzz/artifacts).
#
#   fuzz/campaign.sh                 # all targets
#   fuzz/campaign.sh jwe_open pem    # some
#   RUNS=1000000 SECONDS_PER_TARGET=60 fuzz/campaign.sh   # a shorter campaign
set -uo pipefail
cd "$(dirname "$0")"
runs=${RUNS:-10000000}
secs=${SECONDS_PER_TARGET:-1200}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo +nightly fuzz build -a >/dev/null || exit 1
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)

dict_for() {
  case "$1" in
    session_json|discovery|token_response|jwk|transaction_payload|jws_verify|logout_token|ciba_response|token_exchange_response|par_response) echo "-dict=dict/json.dict" ;;
    cookie_header|chunk_join|callback_query|authorization_response|jwe_open|h1_request|h1_response) echo "-dict=dict/http.dict" ;;
    *) echo "" ;;
  esac
}

failed=0
printf '%-24s %12s %8s %8s %8s %6s %s\n' target executions cov ft corpus secs result
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  log=$(mktemp)
  start=$(date +%s)
  # shellcheck disable=SC2046
  cargo +nightly fuzz run -a "$t" "corpus/$t" -- -runs="$runs" -max_total_time="$secs" \
    -rss_limit_mb=2048 -print_final_stats=1 $(dict_for "$t") >"$log" 2>&1
  status=$?
  took=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*$')
  ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*$')
  corpus=$(find "corpus/$t" -type f | wc -l)
  result=ok
  if [ $status -ne 0 ]; then result="CRASH (see fuzz/artifacts/$t)"; failed=1; tail -20 "$log"; fi
  printf '%-24s %12s %8s %8s %8s %6s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$corpus" "$took" "$result"
  rm -f "$log"
done
exit $failed
