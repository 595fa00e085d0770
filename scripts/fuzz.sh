#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets/*.rs) for SECONDS each and prints the executions
# per target; exit 1 when a target found a crash, a timeout or an out-of-memory input (the
# input is then in fuzz/artifacts/TARGET/).
#
#   scripts/fuzz.sh SECONDS [TARGET...]
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Seeds come from
# tests/testdata (copied into fuzz/corpus/TARGET/ as seed-*; their sources and licences are
# noted beside them there); what the fuzzer finds is kept in fuzz/corpus/TARGET/ between runs.
# Built without a sanitizer (keyward and its parsers are safe Rust: libFuzzer still catches
# panics, hangs and allocations over -rss_limit_mb) and with debug assertions, so arithmetic
# overflow panics. FUZZ_NICE=19 lowers the priority on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}
shift
all=(vault_header vault_open kdbx keepass_xml bitwarden_json keepassxc_csv onepassword_csv
     generic_csv dotenv exec_template exec_masker)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "scripts/fuzz.sh: needs cargo-fuzz and the nightly toolchain:" >&2
  echo "  rustup toolchain install nightly && cargo install cargo-fuzz" >&2
  exit 2
fi

data=tests/testdata
seed() { # seed TARGET FILE...: copies FILEs into the target's corpus as seed-<name>
  local dir=fuzz/corpus/$1
  shift
  mkdir -p "$dir"
  for f in "$@"; do
    [ -f "$f" ] && cp -f "$f" "$dir/seed-$(basename "$f")"
  done
  return 0
}
seed vault_header "$data"/cases/*.keyward "$data"/vector-v1.keyward
seed vault_open "$data"/cases/*.keyward "$data"/vector-v1.keyward "$data"/vector-v1.json
seed kdbx "$data"/transfer/keepassxc/*.kdbx "$data"/transfer/keepassxc/*.kdb \
  "$data"/transfer/*.kdbx "$data"/transfer/keepassxc-2.7.4/*.kdbx
seed keepass_xml "$data"/transfer/keepassxc/*.xml "$data"/transfer/*.xml \
  "$data"/transfer/keepassxc-2.7.4/*.xml
seed bitwarden_json "$data"/transfer/*.json "$data"/transfer/pass-import/bitwarden*.json
seed keepassxc_csv "$data"/transfer/keepassxc-2.7.4/*.csv "$data"/transfer/keepassxc-open-quote.csv
seed onepassword_csv "$data"/transfer/pass-import/1password*.csv
seed dotenv "$data"/transfer/dotenv/*.env "$data"/transfer/sample.env
mkdir -p fuzz/corpus/generic_csv fuzz/corpus/exec_template fuzz/corpus/exec_masker
# generic_csv: the first line is the --map list (see its target).
for f in "$data"/transfer/mapped.csv "$data"/transfer/pass-import/bitwarden.csv \
         "$data"/transfer/keepassxc-2.7.4/api-keys.csv; do
  { echo; cat "$f"; } > "fuzz/corpus/generic_csv/seed-$(basename "$f")"
done
{ echo "name=name,password=secret,login_username=key,ignore=notes"
  cat "$data"/transfer/pass-import/bitwarden.csv; } > fuzz/corpus/generic_csv/seed-mapped-bitwarden.csv
cat > fuzz/corpus/exec_template/seed-template.env <<'TEMPLATE'
# a template for keyward exec --env-file
export BINANCE_KEY=keyward://binance%20bot/key
BINANCE_SECRET="keyward://binance bot/secret"
OKX_PASSPHRASE='keyward://okx/passphrase'
PLAIN=value
DEPLOY_KEY=keyward://deploy.prod/private-key
TEMPLATE
printf 'sk-live-123\nsecond\n\nout sk-live-123 and sec\xffond and sk-\xfflive-123\n' \
  > fuzz/corpus/exec_masker/seed-two-secrets
seed exec_template "$data"/transfer/dotenv/*.env

nice=${FUZZ_NICE:-0}
echo "== building the fuzz targets (cargo +nightly fuzz build)"
(cd fuzz && nice -n "$nice" cargo +nightly fuzz build -s none -a)
mkdir -p fuzz/logs
failed=0
printf '%-16s %12s %9s %8s  %s\n' target executions exec/s corpus result
for t in "${targets[@]}"; do
  log=fuzz/logs/$t.log
  set +e
  (cd fuzz && nice -n "$nice" cargo +nightly fuzz run -s none -a "$t" "corpus/$t" -- \
      -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1) >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
  if [ "$rc" = 0 ]; then
    result=ok
  else
    result="FOUND (exit $rc): $(grep -m1 -E 'panicked at|ERROR: libFuzzer' "$log" || echo see "$log")"
    failed=1
  fi
  printf '%-16s %12s %9s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$corpus" "$result"
done
exit "$failed"
