# Sourced by scripts/wine-cli.sh and scripts/package-test.sh (from the repository root, with
# `fail` defined): the Wine prefix in target/wine-prefix, made once (`wineboot -i`, the slow
# part of a cold run), and the bcryptprimitives.dll shim Rust's std needs under Wine 8.
export WINEPREFIX="$PWD/target/wine-prefix"
export WINEDEBUG=-all
# No Mono / Gecko install dialogs; no menu entries on the host for installed shortcuts.
export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "== wine: creating the prefix $WINEPREFIX (once)"
  mkdir -p "$WINEPREFIX"
  timeout 300 wineboot -i </dev/null >/dev/null 2>&1 || fail "wineboot -i did not finish"
  timeout 120 wineserver -w || true
fi

# Wine 8 has no bcryptprimitives.dll (ProcessPrng), which Rust's std needs on Windows: a
# test-only shim (scripts/wine/bcryptprimitives.c) goes into the prefix, never into a package.
shim="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$shim" ] || [ scripts/wine/bcryptprimitives.c -nt "$shim" ]; then
  x86_64-w64-mingw32-gcc -shared -O2 -o "$shim" scripts/wine/bcryptprimitives.c -ladvapi32 \
    || fail "could not build the bcryptprimitives.dll shim"
fi
