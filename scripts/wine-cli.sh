#!/usr/bin/env bash
# The Windows build end to end under Wine (issue 14): cross-builds keyward.exe with mingw-w64,
# runs the CLI through init, add, get, list, rotate, export and import, exec (masking, exit
# codes, the child's stdin after the password line), then the Windows unit tests (file
# replace, owner-only ACLs, exit codes, crash reporting; store::, exec::, platform::windows_tests) and tests/windows.rs (a second writer refused while the lock is held, saves while
# another process reads) with Wine as the test runner.
#
# Needs: the x86_64-pc-windows-gnu Rust target, gcc-mingw-w64-x86-64, wine, wine64.
# A missing tool fails loudly (exit 1). The Wine prefix lives in target/wine-prefix and is
# made once (`wineboot -i`, the slow part of a cold run); later runs reuse it.
#
# Usage: scripts/wine-cli.sh            (from anywhere; KEYWARD_WINE_SKIP_TESTS=1 skips the
#                                        cargo test part, for a quick CLI-only run)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

fail() { echo "wine-cli: FAIL: $*" >&2; exit 1; }
for tool in wine x86_64-w64-mingw32-gcc; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (Debian: wine wine64 gcc-mingw-w64-x86-64)"
done
rustup target list --installed 2>/dev/null | grep -qx x86_64-pc-windows-gnu \
  || fail "the Rust target x86_64-pc-windows-gnu is missing (rustup target add x86_64-pc-windows-gnu)"

. scripts/wine/prefix.sh   # WINEPREFIX=target/wine-prefix, made once; the std shim

echo "== cross-building keyward.exe (x86_64-pc-windows-gnu)"
cargo build --target x86_64-pc-windows-gnu --bin keyward
exe="$PWD/target/x86_64-pc-windows-gnu/debug/keyward.exe"
[ -f "$exe" ] || fail "no $exe"

work="$(mktemp -d "$PWD/target/wine-cli.XXXXXX")"
trap 'rm -rf "$work"' EXIT
printf 'correct horse battery staple\n' >"$work/pw"
vault="$work/vault.keyward"

passed=0
failed=0
check() { # check NAME CONDITION-RESULT
  if [ "$2" = ok ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
# kwc ARGS... : keyward.exe with the test vault and password file; stdout (CR dropped) in
# $out, stderr in $work/err, the exit code in $rc.
kwc() { set +e; timeout 120 wine "$exe" --vault "$vault" --password-file "$work/pw" "$@" >"$work/out" 2>"$work/err"; rc=$?; set -e; out="$(tr -d '\r' <"$work/out")"; }

echo "== the CLI under wine"
kwc --version
[ "$rc" = 0 ] && grep -q '^keyward ' <<<"$out" && check "--version ($out)" ok || check "--version" bad
kwc init --kdf-memory-mib 1 --kdf-iterations 1 --kdf-parallelism 1 --new-password-file "$work/pw"
[ "$rc" = 0 ] && [ -f "$vault" ] && check init ok || check "init (rc $rc: $(cat "$work/err"))" bad
printf 'wine-secret-0001\n' >"$work/s1"
kwc add binance --provider binance --key-id AKID-1 --secret-stdin <"$work/s1"
[ "$rc" = 0 ] && check add ok || check "add (rc $rc: $(cat "$work/err"))" bad
kwc get binance
[ "$rc" = 0 ] && [ "$out" = wine-secret-0001 ] && check get ok || check "get ($out)" bad
kwc get binance --field key
[ "$out" = AKID-1 ] && check "get --field key" ok || check "get --field key ($out)" bad
kwc list
[ "$rc" = 0 ] && grep -q binance <<<"$out" && ! grep -q wine-secret <<<"$out" && check "list (no secrets)" ok || check "list" bad
printf 'wine-secret-0002\n' >"$work/s2"
kwc rotate binance <"$work/s2"
kwc get binance
[ "$out" = wine-secret-0002 ] && check rotate ok || check "rotate ($out)" bad
kwc get nosuchkey
[ "$rc" != 0 ] && check "get of a missing key fails (rc $rc)" ok || check "get of a missing key" bad

kwc export --format bitwarden-json --out "$work/export.json"
[ "$rc" = 0 ] && grep -q wine-secret-0002 "$work/export.json" && check export ok || check "export (rc $rc: $(cat "$work/err"))" bad
kwc export --format bitwarden-json --out "$work/export.json"
[ "$rc" != 0 ] && check "export refuses to overwrite without --force (rc $rc)" ok || check "export overwrite refused" bad
vault2="$work/second.keyward"
set +e
timeout 120 wine "$exe" --vault "$vault2" init --kdf-memory-mib 1 --kdf-iterations 1 --kdf-parallelism 1 --new-password-file "$work/pw" >/dev/null 2>&1
timeout 120 wine "$exe" --vault "$vault2" --password-file "$work/pw" import --format bitwarden-json "$work/export.json" >/dev/null 2>"$work/err"
rc=$?
got="$(timeout 120 wine "$exe" --vault "$vault2" --password-file "$work/pw" get binance 2>/dev/null | tr -d '\r')"
set -e
[ "$rc" = 0 ] && [ "$got" = wine-secret-0002 ] && check "import into a second vault" ok || check "import (rc $rc, got '$got': $(cat "$work/err"))" bad
kwc export --format bitwarden-json --out "$vault"
[ "$rc" != 0 ] && kwc get binance && [ "$out" = wine-secret-0002 ] && check "export refuses to overwrite the vault" ok || check "export over the vault" bad

# exec: a child (cmd.exe) sees the secret in its environment; its output is masked; its
# exit code comes back.
kwc exec --env API_SECRET=binance -- cmd /c "echo secret=%API_SECRET%"
grep -q 'secret=<concealed by keyward>' <<<"$out" && ! grep -q wine-secret <<<"$out" \
  && check "exec masks the injected value ($out)" ok || check "exec masking ($out)" bad
kwc exec --no-masking --env API_SECRET=binance -- cmd /c "echo secret=%API_SECRET%"
grep -q 'secret=wine-secret-0002' <<<"$out" && check "exec --no-masking passes it through" ok || check "exec --no-masking ($out)" bad
kwc exec --env API_SECRET=binance -- cmd /c "exit 7"
[ "$rc" = 7 ] && check "exec returns the child's exit code (7)" ok || check "exec exit code ($rc)" bad
kwc exec --env API_SECRET=binance -- cmd /c "exit 0"
[ "$rc" = 0 ] && check "exec returns 0" ok || check "exec exit 0 ($rc)" bad
kwc exec --env X=binance -- no-such-program-keyward
[ "$rc" != 0 ] && check "exec of a missing program fails (rc $rc)" ok || check "exec missing program" bad
KEYWARD_PASSWORD_FILE="$work/pw" kwc exec --env X=binance -- cmd /c "if defined KEYWARD_PASSWORD_FILE (echo leaked) else (echo withheld)"
grep -q withheld <<<"$out" && check "exec withholds KEYWARD_PASSWORD_FILE" ok || check "exec withheld vars ($out)" bad
# exec keeps stdin (issue 13 item 7): the master password is the first line of stdin (no
# --password-file); keyward reads exactly that line from the stdin handle and the child
# (Wine's find.exe, which prints the stdin lines that contain a string) gets the rest.
set +e
printf 'correct horse battery staple\nline-for-the-child\n' \
  | timeout 120 wine "$exe" --vault "$vault" exec --env X=binance -- find "for-the-child" >"$work/out" 2>"$work/err"
rc=$?
set -e
out="$(tr -d '\r' <"$work/out")"
[ "$rc" = 0 ] && grep -qx 'line-for-the-child' <<<"$out" \
  && check "exec: the child gets what follows the password line on stdin" ok \
  || check "exec keeps stdin (rc $rc, out '$out': $(cat "$work/err"))" bad
# Without --vault the vault lives under %APPDATA%\keyward (directories::BaseDirs::data_dir).
rm -rf "$WINEPREFIX"/drive_c/users/*/AppData/Roaming/keyward
set +e
timeout 120 wine "$exe" init --kdf-memory-mib 1 --kdf-iterations 1 --kdf-parallelism 1 --new-password-file "$work/pw" >/dev/null 2>&1
set -e
appdata=("$WINEPREFIX"/drive_c/users/*/AppData/Roaming/keyward/vault.keyward)
[ -f "${appdata[0]}" ] && check "the default vault is %APPDATA%\\keyward\\vault.keyward" ok || check "default vault under %APPDATA%" bad
rm -rf "$WINEPREFIX"/drive_c/users/*/AppData/Roaming/keyward
# Nothing secret in what keyward itself wrote to stderr in any of the runs above.
! grep -q wine-secret "$work/err" && check "no secret on stderr" ok || check "secret on stderr" bad

echo "wine-cli: $passed passed, $failed failed"
[ "$failed" = 0 ] || exit 1

if [ "${KEYWARD_WINE_SKIP_TESTS:-0}" = 1 ]; then
  echo "wine-cli: cargo tests under wine skipped (KEYWARD_WINE_SKIP_TESTS=1)"
  exit 0
fi
echo "== Windows unit and integration tests under wine"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
cargo test --target x86_64-pc-windows-gnu --lib -- store:: exec:: platform::windows_tests </dev/null
cargo test --target x86_64-pc-windows-gnu --test windows </dev/null
