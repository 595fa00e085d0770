#!/usr/bin/env bash
# Installs the packages scripts/package.sh wrote to target/dist/, runs what was installed,
# and removes it again (issue 14):
#   deb      dpkg -i; keyward --version, a real command (init, add, get), the man pages
#            (man -w, man -l, zcat), the bash completion, the .desktop file, icons and
#            metainfo where they belong; dpkg -r, then nothing of it is left.
#            Needs root, and refuses when a keyward package is installed already.
#   windows  the zip holds keyward.exe and the licence texts; the MSI installs under Wine (msiexec /i /qn) to
#            C:\Program Files\keyward with a Start-menu shortcut, the installed exe runs
#            (--version, init, add, get), msiexec /x removes the exe, the shortcut and the
#            App Paths key. Uses scripts/wine-cli.sh's prefix (target/wine-prefix).
# Usage: scripts/package-test.sh deb|windows...     A missing tool or package fails (exit 1).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || fail "$1 is not installed (Debian package: $2)"; }
[ $# -gt 0 ] || { echo "usage: scripts/package-test.sh deb|windows..." >&2; exit 2; }

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
dist="$PWD/target/dist"
work="$(mktemp -d "$PWD/target/package-test.XXXXXX")"
cleanup=()
trap 'for c in "${cleanup[@]}"; do eval "$c" || true; done; rm -rf "$work"' EXIT
printf 'correct horse battery staple\n' >"$work/pw"
printf 'package-test-secret-1\n' >"$work/secret"

passed=0
failed=0
check() { # check NAME ok|bad
  if [ "$2" = ok ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}

test_deb() {
  need dpkg dpkg
  need man man-db
  [ "$(id -u)" = 0 ] || fail "installing the .deb needs root (run under sudo)"
  local deb
  deb="$(ls "$dist"/keyward_"$version"_*.deb 2>/dev/null | head -n 1)"
  [ -n "$deb" ] || fail "no target/dist/keyward_${version}_*.deb: run scripts/package.sh deb first"
  if dpkg-query -W -f='${Status}' keyward 2>/dev/null | grep -q 'install ok'; then
    fail "a keyward package is installed already; this test installs and removes one (dpkg -r keyward first)"
  fi
  echo "== deb: dpkg -i $deb"
  cleanup+=("dpkg -r keyward >/dev/null 2>&1")
  dpkg -i "$deb" >/dev/null || fail "dpkg -i $deb failed"
  local files
  files="$(dpkg -L keyward)"

  local out
  out="$(/usr/bin/keyward --version)"
  [ "$out" = "keyward $version" ] && check "keyward --version ($out)" ok || check "keyward --version ($out)" bad
  local vault="$work/deb.keyward" rc
  keyward --vault "$vault" --password-file "$work/pw" init --kdf-memory-mib 1 --kdf-iterations 1 \
    --kdf-parallelism 1 --new-password-file "$work/pw" >/dev/null 2>&1 &&
    keyward --vault "$vault" --password-file "$work/pw" add pt --provider binance --secret-stdin \
      <"$work/secret" >/dev/null 2>&1 && rc=0 || rc=$?
  out="$(keyward --vault "$vault" --password-file "$work/pw" get pt 2>&1)" || true
  [ "$rc" = 0 ] && [ "$out" = package-test-secret-1 ] && check "installed keyward: init, add, get" ok \
    || check "installed keyward: init, add, get (rc $rc)" bad

  local page
  page="$(man -w keyward 2>/dev/null)" || true
  [ "$page" = /usr/share/man/man1/keyward.1.gz ] && check "man -w keyward ($page)" ok || check "man -w keyward ($page)" bad
  page="$(man -w keyward-exec 2>/dev/null)" || true
  [ "$page" = /usr/share/man/man1/keyward-exec.1.gz ] && check "man -w keyward-exec" ok || check "man -w keyward-exec ($page)" bad
  zcat /usr/share/man/man1/keyward.1.gz | grep -q '^\.TH keyward 1' && check "zcat keyward.1.gz: .TH keyward 1" ok \
    || check "keyward.1.gz has no .TH line" bad
  MANWIDTH=100 man -l /usr/share/man/man1/keyward-add.1.gz 2>/dev/null | grep -q 'keyward-add' \
    && check "man -l keyward-add.1.gz renders" ok || check "man -l keyward-add.1.gz" bad
  if command -v bash >/dev/null; then
    out="$(bash -c '. /usr/share/bash-completion/completions/keyward && complete -p keyward' 2>&1)" || true
    grep -q 'complete .* keyward$' <<<"$out" && check "bash completion registers keyward" ok \
      || check "bash completion ($out)" bad
  fi
  local f
  for f in /usr/share/applications/keyward.desktop /usr/share/metainfo/io.github.keyward.keyward.metainfo.xml \
    /usr/share/icons/hicolor/256x256/apps/keyward.png /usr/share/icons/hicolor/512x512/apps/keyward.png \
    /usr/share/icons/hicolor/scalable/apps/keyward.svg \
    /usr/share/zsh/vendor-completions/_keyward /usr/share/fish/vendor_completions.d/keyward.fish \
    /usr/share/doc/keyward/copyright; do
    grep -qxF "$f" <<<"$files" && [ -f "$f" ] && check "installed $f" ok || check "installed $f" bad
  done

  echo "== deb: dpkg -r keyward"
  dpkg -r keyward >/dev/null || fail "dpkg -r keyward failed"
  local left=0
  while read -r f; do
    case "$f" in /usr/bin/* | /usr/share/man/man1/keyward* | /usr/share/*/keyward* | /usr/share/*/_keyward) [ -e "$f" ] && left=1 ;; esac
  done <<<"$files"
  hash -r
  [ "$left" = 0 ] && ! command -v keyward >/dev/null && check "dpkg -r leaves none of its files" ok \
    || check "files left after dpkg -r" bad
}

test_windows() {
  need unzip unzip
  need wine wine
  need x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64
  local name="keyward-$version-windows-x86_64"
  [ -f "$dist/$name.zip" ] && [ -f "$dist/$name.msi" ] \
    || fail "no target/dist/$name.zip and .msi: run scripts/package.sh windows first"
  unzip -Z1 "$dist/$name.zip" | grep -qx keyward.exe && check "$name.zip holds keyward.exe" ok \
    || check "$name.zip has no keyward.exe" bad
  local l
  for l in LICENSE-MIT LICENSE-APACHE; do
    unzip -p "$dist/$name.zip" "$l.txt" | tr -d '\r' | cmp -s - "$l" && check "$name.zip holds $l.txt" ok \
      || check "$name.zip has no $l.txt, or it differs from $l" bad
  done

  . scripts/wine/prefix.sh
  local installed="$WINEPREFIX/drive_c/Program Files/keyward/keyward.exe"
  # The MSI asks for the common Start menu (ALLUSERS=1, ProgramMenuFolder); Wine puts it in
  # the user's, so either place counts here (release.yml checks the common one on Windows).
  local shortcut_common="$WINEPREFIX/drive_c/ProgramData/Microsoft/Windows/Start Menu/Programs/keyward.lnk"
  local shortcut_user=()
  local msi_win
  msi_win="$(winepath -w "$dist/$name.msi")"
  [ ! -e "$installed" ] || fail "keyward is installed in the Wine prefix already ($installed)"
  echo "== windows: wine msiexec /i $name.msi /qn"
  cleanup+=("timeout 300 wine msiexec /x '$msi_win' /qn >/dev/null 2>&1")
  timeout 300 wine msiexec /i "$msi_win" /qn </dev/null >/dev/null 2>&1 || fail "msiexec /i failed"
  [ -f "$installed" ] && check "installed C:\\Program Files\\keyward\\keyward.exe" ok || check "no $installed" bad
  [ -f "$(dirname "$installed")/LICENSE-MIT.txt" ] && [ -f "$(dirname "$installed")/LICENSE-APACHE.txt" ] \
    && check "installed the licence texts beside keyward.exe" ok || check "no licence texts beside $installed" bad
  shortcut_user=("$WINEPREFIX"/drive_c/users/*/AppData/Roaming/Microsoft/Windows/"Start Menu"/Programs/keyward.lnk)
  { [ -f "$shortcut_common" ] || [ -f "${shortcut_user[0]}" ]; } && check "Start-menu shortcut keyward.lnk" ok \
    || check "no Start-menu shortcut keyward.lnk" bad
  wine reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\App Paths\keyward.exe' 2>/dev/null \
    | tr -d '\r' | grep -qi 'Program Files\\keyward\\keyward.exe' && check "App Paths\\keyward.exe" ok \
    || check "App Paths\\keyward.exe missing" bad

  local exe='C:\Program Files\keyward\keyward.exe' out rc
  out="$(timeout 120 wine "$exe" --version 2>/dev/null | tr -d '\r')" || true
  [ "$out" = "keyward $version" ] && check "installed keyward.exe --version ($out)" ok || check "keyward.exe --version ($out)" bad
  local vault pw
  vault="$(winepath -w "$work/win.keyward")"
  pw="$(winepath -w "$work/pw")"
  set +e
  timeout 120 wine "$exe" --vault "$vault" --password-file "$pw" init --kdf-memory-mib 1 --kdf-iterations 1 \
    --kdf-parallelism 1 --new-password-file "$pw" </dev/null >/dev/null 2>&1 &&
    timeout 120 wine "$exe" --vault "$vault" --password-file "$pw" add pt --provider binance --secret-stdin \
      <"$work/secret" >/dev/null 2>&1
  rc=$?
  out="$(timeout 120 wine "$exe" --vault "$vault" --password-file "$pw" get pt </dev/null 2>/dev/null | tr -d '\r')"
  set -e
  [ "$rc" = 0 ] && [ "$out" = package-test-secret-1 ] && check "installed keyward.exe: init, add, get" ok \
    || check "installed keyward.exe: init, add, get (rc $rc)" bad

  echo "== windows: wine msiexec /x $name.msi /qn"
  timeout 300 wine msiexec /x "$msi_win" /qn </dev/null >/dev/null 2>&1 || fail "msiexec /x failed"
  timeout 120 wineserver -w || true
  [ ! -e "$installed" ] && [ ! -e "$(dirname "$installed")" ] && check "uninstalled: C:\\Program Files\\keyward is gone" ok \
    || check "left after msiexec /x: $(dirname "$installed")" bad
  shortcut_user=("$WINEPREFIX"/drive_c/users/*/AppData/Roaming/Microsoft/Windows/"Start Menu"/Programs/keyward.lnk)
  [ ! -e "$shortcut_common" ] && [ ! -e "${shortcut_user[0]}" ] && check "uninstalled: the shortcut is gone" ok \
    || check "shortcut left after msiexec /x" bad
  if wine reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\App Paths\keyward.exe' >/dev/null 2>&1; then
    check "App Paths key left after msiexec /x" bad
  else
    check "uninstalled: the App Paths key is gone" ok
  fi
}

for t in "$@"; do
  case "$t" in
    deb | windows) "test_$t" ;;
    *) fail "unknown package '$t'; give deb or windows" ;;
  esac
done
echo "package-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
