#!/usr/bin/env bash
# Packages for three systems (issue 14), written to target/dist/:
#   deb      keyward_<version>_<arch>.deb: the binary, the .desktop file, hicolor icons,
#            AppStream metainfo, man pages and bash/zsh/fish completions (made by the binary
#            itself: `keyward __generate man|completions DIR`, src/cli/generate.rs)
#   windows  keyward-<version>-windows-x86_64.zip (keyward.exe) and
#            keyward-<version>-windows-x86_64.msi (wixl; packaging/windows/keyward.wxs)
#   macos    keyward.app (Info.plist, keyward.icns, the binary) and
#            keyward-<version>-macos-universal.dmg. On Linux only the bundle's layout, its
#            Info.plist and icon can be made; the script says what needs a Mac.
#
# Usage: scripts/package.sh [--profile PROFILE] deb|windows|macos...
#   --profile  the cargo profile of the binaries packaged [default: release]. CI passes
#              `dev`, the profile its tests already built (and scripts/wine-cli.sh's
#              keyward.exe), so packaging adds no build of its own.
# The files are checked as they are made (desktop-file-validate, appstreamcli validate
# --no-net, msiinfo, the Info.plist parsed); scripts/package-test.sh installs them.
# A missing tool fails loudly (exit 1) and names the Debian package that has it.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

fail() { echo "package: FAIL: $*" >&2; exit 1; }
need() { # need TOOL PACKAGE
  command -v "$1" >/dev/null 2>&1 || fail "$1 is not installed (Debian package: $2)"
}
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

profile=release
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) [ $# -ge 2 ] || fail "--profile needs a value (release, dev, ...)"; profile="$2"; shift 2 ;;
    --profile=*) profile="${1#--profile=}"; shift ;;
    deb | windows | macos) targets+=("$1"); shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; echo "package: unknown argument '$1'; give deb, windows or macos" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || { usage >&2; echo "package: say what to build: deb, windows or macos" >&2; exit 2; }

case "$profile" in
  dev | test) profile_dir=debug ;;
  bench) profile_dir=release ;;
  *) profile_dir="$profile" ;;
esac
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
[ -n "$version" ] || fail "no version line in Cargo.toml"
dist="$PWD/target/dist"
mkdir -p "$dist"
work="$(mktemp -d "$PWD/target/package.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# --- deb ----------------------------------------------------------------------------------
package_deb() {
  need dpkg-deb dpkg
  need dpkg-shlibdeps dpkg-dev
  need desktop-file-validate desktop-file-utils
  need appstreamcli appstream
  echo "== deb: cargo build --profile $profile --bin keyward"
  cargo build --profile "$profile" --bin keyward
  local bin="$PWD/target/$profile_dir/keyward"
  [ -x "$bin" ] || fail "no $bin after the build"
  local arch root
  arch="$(dpkg --print-architecture)"
  root="$work/deb/keyward_${version}_${arch}"
  mkdir -p "$root/DEBIAN"

  install -Dm755 "$bin" "$root/usr/bin/keyward"
  if [ "$profile_dir" = release ]; then strip --strip-unneeded "$root/usr/bin/keyward"; fi
  install -Dm644 packaging/linux/keyward.desktop "$root/usr/share/applications/keyward.desktop"
  install -Dm644 assets/keyward.svg "$root/usr/share/icons/hicolor/scalable/apps/keyward.svg"
  local s
  for s in 32 64 128 256 512; do
    install -Dm644 "assets/keyward-$s.png" "$root/usr/share/icons/hicolor/${s}x${s}/apps/keyward.png"
  done
  local metainfo=io.github.keyward.keyward.metainfo.xml
  install -Dm644 "packaging/linux/$metainfo" "$root/usr/share/metainfo/$metainfo"

  "$bin" __generate man "$work/man" >/dev/null
  mkdir -p "$root/usr/share/man/man1"
  local page
  for page in "$work"/man/*.1; do
    gzip -9 -n -c "$page" >"$root/usr/share/man/man1/$(basename "$page").gz"
  done
  chmod 644 "$root"/usr/share/man/man1/*.gz
  [ -f "$root/usr/share/man/man1/keyward.1.gz" ] || fail "the generator wrote no keyward.1"
  "$bin" __generate completions "$work/completions" >/dev/null
  install -Dm644 "$work/completions/keyward.bash" "$root/usr/share/bash-completion/completions/keyward"
  install -Dm644 "$work/completions/_keyward" "$root/usr/share/zsh/vendor-completions/_keyward"
  install -Dm644 "$work/completions/keyward.fish" "$root/usr/share/fish/vendor_completions.d/keyward.fish"
  install -Dm644 packaging/linux/copyright "$root/usr/share/doc/keyward/copyright"

  echo "== deb: desktop-file-validate, appstreamcli validate --no-net"
  desktop-file-validate "$root/usr/share/applications/keyward.desktop" \
    || fail "desktop-file-validate rejects packaging/linux/keyward.desktop"
  appstreamcli validate --no-net --pedantic "$root/usr/share/metainfo/$metainfo" \
    || fail "appstreamcli validate rejects packaging/linux/$metainfo"
  grep -q "<release version=\"$version\"" "packaging/linux/$metainfo" \
    || fail "packaging/linux/$metainfo has no <release version=\"$version\"> (Cargo.toml's version)"

  # Depends: the shared libraries the binary links (dpkg-shlibdeps wants a debian/control).
  # Recommends: the ones the app loads at run time (dlopen: OpenGL/EGL, X11, Wayland, D-Bus).
  mkdir -p "$work/shlibs/debian"
  printf 'Source: keyward\n\nPackage: keyward\nArchitecture: any\n' >"$work/shlibs/debian/control"
  local depends
  depends="$(cd "$work/shlibs" && dpkg-shlibdeps -O -e"$root/usr/bin/keyward" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
  [ -n "$depends" ] || fail "dpkg-shlibdeps found no dependencies for the binary"
  local size
  size="$(du -sk --apparent-size "$root/usr" | cut -f1)"
  cat >"$root/DEBIAN/control" <<EOF
Package: keyward
Version: $version
Architecture: $arch
Maintainer: keyward developers
Installed-Size: $size
Depends: $depends
Recommends: libgl1, libegl1, libx11-6, libx11-xcb1, libxcursor1, libxi6, libxrender1, libxkbcommon0, libxkbcommon-x11-0, libwayland-client0, libwayland-egl1, libdbus-1-3
Section: utils
Priority: optional
Description: desktop vault for API keys, with a CLI for scripts and bots
 keyward keeps API keys encrypted in one file under a master password (Argon2id and
 XChaCha20-Poly1305) and shows for each key what decides how bad a leak would be: the IP
 whitelist, permissions, rotation age and expiry. The same binary is a command-line tool:
 it prints one secret for a script, runs a command with keys in its environment masked in
 its output, scans folders and git history for secrets in plain text, and moves keys to and
 from KeePassXC, Bitwarden and 1Password. The desktop app needs OpenGL and X11 or Wayland.
EOF
  local deb="$dist/keyward_${version}_${arch}.deb"
  rm -f "$deb"
  dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
  echo "deb: $deb"
  dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Depends\):/  \1:/p'
}

# --- windows ------------------------------------------------------------------------------
package_windows() {
  need wixl wixl
  need msiinfo msitools
  need zip zip
  need convert imagemagick
  need x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64
  rustup target list --installed 2>/dev/null | grep -qx x86_64-pc-windows-gnu \
    || fail "the Rust target x86_64-pc-windows-gnu is missing (rustup target add x86_64-pc-windows-gnu)"
  echo "== windows: cargo build --profile $profile --target x86_64-pc-windows-gnu --bin keyward"
  cargo build --profile "$profile" --target x86_64-pc-windows-gnu --bin keyward
  local exe="$PWD/target/x86_64-pc-windows-gnu/$profile_dir/keyward.exe"
  [ -f "$exe" ] || fail "no $exe after the build"
  local name="keyward-$version-windows-x86_64"

  mkdir -p "$work/windows"
  cp "$exe" "$work/windows/keyward.exe"
  # The licence texts, with CRLF line ends so Notepad shows them as written.
  local l
  for l in LICENSE-MIT LICENSE-APACHE; do
    sed 's/$/\r/' "$l" >"$work/windows/$l.txt"
  done
  rm -f "$dist/$name.zip"
  (cd "$work/windows" && zip -q -X -9 "$dist/$name.zip" keyward.exe LICENSE-MIT.txt LICENSE-APACHE.txt)
  echo "windows: $dist/$name.zip"

  convert assets/keyward-{32,64,128,256}.png "$work/windows/keyward.ico"
  # An MSI version is numbers only (major.minor.build): 0.2.0-rc1 installs as 0.2.0.
  local msi_version="${version%%[-+]*}"
  local msi="$dist/$name.msi"
  rm -f "$msi"
  # wixl takes the source files relative to the folder it runs in (absolute ones fail).
  (cd "$work/windows" && wixl -a x64 -D Version="$msi_version" -D ExePath=keyward.exe \
    -D IconPath=keyward.ico -o "$msi" "$OLDPWD/packaging/windows/keyward.wxs" >/dev/null) \
    || fail "wixl could not build the MSI from packaging/windows/keyward.wxs"

  echo "== windows: msiinfo on the MSI"
  local tables
  tables="$({ msiinfo export "$msi" File; msiinfo export "$msi" Directory; msiinfo export "$msi" Shortcut; } | tr -d '\r')" \
    || fail "msiinfo cannot read $msi"
  grep -qP '^keyward\.exe\tKeywardExe\tkeyward\.exe\t' <<<"$tables" || fail "the MSI has no keyward.exe file row"
  grep -qP '^LICENSE_MIT\tKeywardExe\tLICENSE-MIT\.txt\t' <<<"$tables" || fail "the MSI does not install LICENSE-MIT.txt"
  grep -qP '^LICENSE_APACHE\tKeywardExe\tLICENSE-APACHE\.txt\t' <<<"$tables" || fail "the MSI does not install LICENSE-APACHE.txt"
  grep -qP '^INSTALLDIR\tProgramFiles64Folder\tkeyward$' <<<"$tables" \
    || fail "the MSI does not install to Program Files\\keyward"
  grep -qP '^KeywardStartMenu\tProgramMenuFolder\tkeyward\t' <<<"$tables" || fail "the MSI has no Start-menu shortcut"
  msiinfo suminfo "$msi" | grep -q '^Template: x64;' || fail "the MSI is not marked x64"
  echo "windows: $msi"
}

# --- macos --------------------------------------------------------------------------------
package_macos() {
  need png2icns icnsutils
  need python3 python3
  local app="$dist/macos/keyward.app"
  rm -rf "$app"
  mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"
  sed "s/@VERSION@/$version/g" packaging/macos/Info.plist >"$app/Contents/Info.plist"
  python3 -c 'import plistlib, sys; d = plistlib.load(open(sys.argv[1], "rb")); assert d["CFBundleExecutable"] == "keyward"' \
    "$app/Contents/Info.plist" || fail "packaging/macos/Info.plist is not a valid property list"
  printf 'APPL????' >"$app/Contents/PkgInfo"
  # 32 to 1024 pixels: the 512 and 1024 are what Finder and the Dock use on a Retina screen.
  png2icns "$app/Contents/Resources/keyward.icns" assets/keyward-{32,128,256,512,1024}.png >/dev/null \
    || fail "png2icns could not make keyward.icns"
  local sizes
  sizes="$(icns2png -l "$app/Contents/Resources/keyward.icns" 2>/dev/null)" || fail "icns2png cannot read keyward.icns"
  local px
  for px in 32x32 128x128 256x256 512x512 1024x1024; do
    grep -q "$px" <<<"$sizes" || fail "keyward.icns has no $px image"
  done
  echo "macos: $app (Info.plist, PkgInfo, Resources/keyward.icns)"

  if [ "$(uname -s)" != Darwin ]; then
    cat <<EOF
macos: NOT BUILT here, needs a Mac (this is $(uname -s)):
  - Contents/MacOS/keyward: there is no macOS linker or SDK on Linux. On a Mac:
      rustup target add aarch64-apple-darwin x86_64-apple-darwin
      scripts/package.sh macos      (builds both, joins them with lipo into one binary)
  - signing: codesign (ad hoc here; a Developer ID and notarytool for distribution)
  - the .dmg: hdiutil create -volname keyward -srcfolder DIR -format UDZO
        keyward-$version-macos-universal.dmg, DIR holding keyward.app and a link to /Applications
macos: $app is the bundle's layout without its binary; do not ship it.
EOF
    return 0
  fi

  local t
  for t in aarch64-apple-darwin x86_64-apple-darwin; do
    echo "== macos: cargo build --profile $profile --target $t --bin keyward"
    cargo build --profile "$profile" --target "$t" --bin keyward
  done
  lipo -create -output "$app/Contents/MacOS/keyward" \
    "target/aarch64-apple-darwin/$profile_dir/keyward" "target/x86_64-apple-darwin/$profile_dir/keyward"
  plutil -lint "$app/Contents/Info.plist" >/dev/null || fail "plutil rejects Info.plist"
  codesign --force --deep --sign - "$app"
  local stage="$work/dmg" dmg="$dist/keyward-$version-macos-universal.dmg"
  mkdir -p "$stage"
  cp -R "$app" "$stage/"
  ln -s /Applications "$stage/Applications"
  rm -f "$dmg"
  hdiutil create -volname keyward -srcfolder "$stage" -ov -format UDZO "$dmg" >/dev/null
  echo "macos: $dmg"
}

for t in "${targets[@]}"; do
  "package_$t"
done
