#!/usr/bin/env bash
# A real two-machine check of `keyward merge --conflicts` (issue "Never lose a change"):
# two Syncthing instances on this machine, listening on 127.0.0.1 only (global discovery,
# local announcements, relays, NAT traversal, crash and usage reporting off), share one folder
# holding the vault. Both sides change the vault while the link is paused; after resuming,
# Syncthing leaves a conflict copy; `keyward merge --conflicts` merges it; the script checks
# that every key and secret of both sides is in the vault and that both folders converge.
#
# Usage: scripts/syncthing-merge.sh  (KEYWARD_BIN=path/to/keyward; default target/debug/keyward)
# Fails loudly when syncthing is missing: CI installs it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${KEYWARD_BIN:-target/debug/keyward}
LIMIT=${SYNC_TIMEOUT_S:-120}
command -v syncthing >/dev/null || { echo "syncthing-merge: syncthing is not installed (apt-get install syncthing)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "syncthing-merge: $BIN is missing (cargo build --bin keyward)" >&2; exit 1; }
BIN=$(realpath "$BIN")

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
echo "correct horse battery staple" >"$work/pw"
port_base=$((20000 + RANDOM % 20000))

for side in a b; do
  syncthing generate --home="$work/$side/home" --no-default-folder >/dev/null 2>&1
  mkdir -p "$work/$side/folder"
  printf '%s\n' '*.bak' '*.lock' '.*.tmp' >"$work/$side/folder/.stignore"
done
id_a=$(syncthing serve --home="$work/a/home" --device-id)
id_b=$(syncthing serve --home="$work/b/home" --device-id)

# Writes each instance's config: loopback only, no discovery, relays or NAT; the peer at a
# fixed 127.0.0.1 address; one shared folder watched for changes.
python3 - "$work" "$id_a" "$id_b" "$port_base" <<'PY'
import sys, xml.etree.ElementTree as ET
work, id_a, id_b, base = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sides = {"a": (id_a, base, base + 10), "b": (id_b, base + 1, base + 11)}
for side, (me, listen, gui) in sides.items():
    other = "b" if side == "a" else "a"
    other_id, other_listen, _ = sides[other]
    path = f"{work}/{side}/home/config.xml"
    tree = ET.parse(path)
    root = tree.getroot()
    opts = root.find("options")
    def setopt(name, value):
        el = opts.find(name)
        if el is None:
            el = ET.SubElement(opts, name)
        el.text = value
    for el in opts.findall("listenAddress"):
        opts.remove(el)
    ET.SubElement(opts, "listenAddress").text = f"tcp://127.0.0.1:{listen}"
    for name, value in [("globalAnnounceEnabled", "false"), ("localAnnounceEnabled", "false"),
                        ("relaysEnabled", "false"), ("natEnabled", "false"),
                        ("startBrowser", "false"), ("urAccepted", "-1"),
                        ("crashReportingEnabled", "false"), ("autoUpgradeIntervalH", "0"),
                        ("reconnectionIntervalS", "1")]:
        setopt(name, value)
    root.find("gui").find("address").text = f"127.0.0.1:{gui}"
    root.find("gui").find("apikey").text = "keyward-test-key"
    dev = ET.SubElement(root, "device", id=other_id, name=other, compression="metadata",
                        introducer="false")
    ET.SubElement(dev, "address").text = f"tcp://127.0.0.1:{other_listen}"
    folder = ET.SubElement(root, "folder", id="vault", label="vault",
                           path=f"{work}/{side}/folder", type="sendreceive",
                           rescanIntervalS="2", fsWatcherEnabled="true", fsWatcherDelayS="1")
    # Without it (0) Syncthing discards the losing version instead of keeping a copy.
    ET.SubElement(folder, "maxConflicts").text = "10"
    ET.SubElement(folder, "device", id=me)
    ET.SubElement(folder, "device", id=other_id)
    tree.write(path)
PY

api() { # api SIDE METHOD PATH
  local port=$((port_base + 10)); [ "$1" = b ] && port=$((port_base + 11))
  curl -fsS -X "$2" -H "X-API-Key: keyward-test-key" "http://127.0.0.1:$port$3"
}
start() { # start SIDE: one Syncthing instance in the background
  STNOUPGRADE=1 syncthing serve --home="$work/$1/home" --no-browser --no-restart \
    --no-default-folder --logfile="$work/$1/log" >/dev/null 2>&1 &
  pids+=($!)
  [ "$1" = b ] && pid_b=$!
  return 0
}
start a
start b
wait_for() { # wait_for DESCRIPTION COMMAND...
  local what=$1; shift
  local end=$((SECONDS + LIMIT))
  until "$@"; do
    if [ $SECONDS -ge $end ]; then
      echo "syncthing-merge: timed out waiting for $what" >&2
      ls -la "$work/a/folder" "$work/b/folder" >&2 || true
      for side in a b; do
        echo "-- $side: folder status" >&2
        api "$side" GET "/rest/db/status?folder=vault" >&2 || true
        api "$side" GET "/rest/db/file?folder=vault&file=vault.keyward" >&2 || true
      done
      tail -n 15 "$work/a/log" "$work/b/log" >&2 || true
      exit 1
    fi
    sleep 1
  done
}
up() { api a GET /rest/system/ping >/dev/null 2>&1 && api b GET /rest/system/ping >/dev/null 2>&1; }
wait_for "both Syncthing instances" up

kw() { # kw SIDE ARGS...
  local side=$1; shift
  "$BIN" --vault "$work/$side/folder/vault.keyward" --password-file "$work/pw" "$@"
}
kw a init --kdf-memory-mib 1 --kdf-iterations 1 --kdf-parallelism 1
echo "S-base" | kw a add binance-bot --key-id K0 --secret-stdin
echo "ghp_base" | kw a add github-ci --secret-stdin
same() { cmp -s "$work/a/folder/vault.keyward" "$work/b/folder/vault.keyward"; }
wait_for "the vault to reach the second machine" same
echo "== synced: the vault is on both sides"

# The link goes down: each side pauses the other.
api a POST "/rest/system/pause?device=$id_b" >/dev/null
api b POST "/rest/system/pause?device=$id_a" >/dev/null
sleep 1
# Machine A rotates binance and adds a key; machine B rotates binance too and adds another.
echo "S-desk" | kw a rotate binance-bot
echo "okx-desk" | kw a add okx-desk --secret-stdin
sleep 1
echo "S-laptop" | kw b rotate binance-bot
echo "kraken-laptop" | kw b add kraken-laptop --secret-stdin
kw b delete github-ci
# Each side records its own change before they meet again.
api a POST "/rest/db/scan?folder=vault" >/dev/null
api b POST "/rest/db/scan?folder=vault" >/dev/null
sleep 3
echo "== both sides changed while the link was down; resuming"
api a POST "/rest/system/resume?device=$id_b" >/dev/null
api b POST "/rest/system/resume?device=$id_a" >/dev/null

conflict_on_a() { compgen -G "$work/a/folder/vault.sync-conflict-*.keyward" >/dev/null || compgen -G "$work/b/folder/vault.sync-conflict-*.keyward" >/dev/null; }
wait_for "Syncthing's conflict copy" conflict_on_a
wait_for "the two folders to agree after the conflict" same
ls "$work/a/folder" | sed 's/^/   /'

api a POST "/rest/db/scan?folder=vault" >/dev/null
kw a merge --conflicts
api a POST "/rest/db/scan?folder=vault" >/dev/null
no_copies() {
  ! compgen -G "$work/a/folder/vault.sync-conflict-*" >/dev/null &&
    ! compgen -G "$work/b/folder/vault.sync-conflict-*" >/dev/null
}
wait_for "the merged vault to reach both sides and the copies to go" no_copies
wait_for "both folders to converge on the merged vault" same

fail() { echo "syncthing-merge: $*" >&2; exit 1; }
names=$(kw b list --json | python3 -c 'import json,sys; print(" ".join(sorted(e["name"] for e in json.load(sys.stdin))))')
[ "$names" = "binance-bot kraken-laptop okx-desk" ] || fail "keys after the merge: $names"
[ "$(kw b get okx-desk)" = okx-desk ] || fail "okx-desk's secret"
[ "$(kw b get kraken-laptop)" = kraken-laptop ] || fail "kraken-laptop's secret"
current=$(kw b get binance-bot)
case "$current" in S-desk|S-laptop) ;; *) fail "binance-bot's secret is $current" ;; esac
history=$(kw b show binance-bot --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["history_count"])')
[ "$history" -ge 2 ] || fail "binance-bot keeps only $history old secret(s); the other rotation and S-base belong there"
trash=$(kw b trash --json | python3 -c 'import json,sys; print(" ".join(t["name"] for t in json.load(sys.stdin)))')
[ "$trash" = github-ci ] || fail "the trash holds '$trash', not github-ci"
echo "== ok: every key and secret of both machines is in the merged vault, and both copies agree"
