#!/usr/bin/env python3
"""`keyward scan` against `rg -F -f` in three vault shapes (issue 15 item 7), in one run.

Shapes, each given to both tools as the same needles:
  tokens   44 tokens (4 planted in the tree 3 times each, 40 that appear nowhere)
  keypair  the 44 tokens and an Ed25519 key pair (PKCS#8 PEM, planted twice: once with LF,
           once with CRLF line endings); rg gets the tokens and the PEM lines keyward searches
           (each line of 16 characters or more that is not a `-----` armour line)
  keys1000 1000 tokens (the 44 above and 956 more that appear nowhere)

The tree is a copy of TREE (default ~/.cargo/registry/src) with the secrets planted in .rs
files. Both tools walk it the same way, with their defaults: hidden files skipped,
.gitignore/.ignore honoured, binary files (a NUL byte) not reported, one thread per CPU.
rg runs as `rg -F -f NEEDLES --no-heading --with-filename -n --column -o --no-messages TREE`;
keyward as `keyward scan --json TREE` (its time includes opening the vault: a 1 MiB Argon2id
bench vault). Before timing, each shape checks that both tools name the same files (and, for
tokens, the same (file, line, column) places). Then each tool runs once to warm the page
cache and RUNS (default 7) times alternately; the medians and their ratio are printed.

Usage: scripts/scan-speed.py KEYWARD_BIN [--runs N] [--tree DIR] [--limit RATIO]
Exit 1 when a check fails or a ratio is above the limit (default 1.0).
"""
import argparse, base64, json, os, random, shutil, statistics, subprocess, sys, tempfile, time

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# PKCS#8 PrivateKeyInfo of an Ed25519 key (RFC 8410), before the 32-byte seed.
ED25519_PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")


def fail(msg):
    print(f"scan-speed: {msg}", file=sys.stderr)
    sys.exit(1)


def run(cmd, stdin=None):
    p = subprocess.run(cmd, input=stdin, capture_output=True)
    if p.returncode not in (0, 1):
        fail(f"{' '.join(map(str, cmd))} failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
    return p.stdout


def pem_lines(pem):
    """The lines of a multi-line secret that keyward searches on their own."""
    return [l.strip() for l in pem.splitlines() if len(l.strip()) >= 16 and not l.strip().startswith("-----")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("keyward")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--tree", default=os.path.expanduser("~/.cargo/registry/src"))
    ap.add_argument("--limit", type=float, default=1.0)
    a = ap.parse_args()
    keyward = os.path.abspath(a.keyward)
    if shutil.which("rg") is None:
        fail("ripgrep (rg) is not installed: apt-get install ripgrep")
    rg_version = run(["rg", "--version"]).decode().splitlines()[0]
    rng = random.Random(7)
    tok = lambda: "".join(rng.choice(ALNUM) for _ in range(32))

    work = tempfile.mkdtemp(prefix="scan-speed-")
    try:
        tree = os.path.join(work, "tree")
        print(f"copying {a.tree} …", file=sys.stderr)
        run(["cp", "-a", a.tree, tree])
        rs = sorted(os.path.join(d, f) for d, _, fs in os.walk(tree) for f in fs if f.endswith(".rs"))
        if len(rs) < 100:
            fail("the tree has fewer than 100 .rs files")

        planted = [tok() for _ in range(4)]
        absent = [tok() for _ in range(40)]
        more = [tok() for _ in range(956)]
        for i, s in enumerate(planted):
            for j in range(3):
                with open(rs[(i * 7919 + j * 104729) % len(rs)], "a") as f:
                    f.write(f'// leaked: const KEY: &str = "{s}";\n')
        seed = bytes(rng.randrange(256) for _ in range(32))
        b64 = base64.b64encode(ED25519_PKCS8_PREFIX + seed).decode()
        pem = "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n"
        pem_files = [rs[(5 * 7919) % len(rs)], rs[(6 * 7919 + 104729) % len(rs)]]
        with open(pem_files[0], "a") as f:
            f.write("/*\n" + pem + "*/\n")
        with open(pem_files[1], "a", newline="") as f:
            f.write("/*\r\n" + pem.replace("\n", "\r\n") + "*/\r\n")

        password = os.path.join(work, "password")
        with open(password, "w") as f:
            f.write("bench\n")

        def vault(name, tokens, keypair):
            path = os.path.join(work, name + ".keyward")
            base = [keyward, "--vault", path, "--password-file", password]
            run(base + ["init", "--kdf-memory-mib", "1", "--kdf-iterations", "1", "--kdf-parallelism", "1"])
            env = os.path.join(work, name + ".env")
            with open(env, "w") as f:
                for i, t in enumerate(tokens):
                    f.write(f"KEY_{i}={t}\n")
            run(base + ["import", "--format", "dotenv", env])
            if keypair:
                run(base + ["add", "ed25519-pair", "--kind", "key-pair", "--secret-stdin"], stdin=pem.encode())
            needles = list(tokens) + (pem_lines(pem) if keypair else [])
            nfile = os.path.join(work, name + ".needles")
            with open(nfile, "w") as f:
                f.write("\n".join(needles) + "\n")
            return base, nfile, len(needles)

        shapes = [
            ("tokens", planted + absent, False),
            ("keypair", planted + absent, True),
            ("keys1000", planted + absent + more, False),
        ]
        cpus = os.cpu_count()
        print(f"## scan speed: keyward scan vs {rg_version} -F -f, {cpus} CPUs, {a.runs} runs per tool and shape")
        print()
        print("| vault | needles | files | MB | keyward scan (median) | rg -F -f (median) | ratio |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        worst = 0.0
        for name, tokens, keypair in shapes:
            base, nfile, n = vault(name, tokens, keypair)
            k_cmd = base + ["scan", "--json", tree]
            r_cmd = ["rg", "-F", "-f", nfile, "--no-heading", "--with-filename", "-n", "--column", "-o",
                     "--no-messages", tree]
            report = json.loads(run(k_cmd))
            k_places = {(h["path"], h["line"], h["column"]) for h in report["hits"]}
            r_places = set()
            for line in run(r_cmd).decode(errors="replace").splitlines():
                p = line.split(":", 3)
                r_places.add((p[0], int(p[1]), int(p[2])))
            k_files = {p for p, _, _ in k_places}
            r_files = {p for p, _, _ in r_places}
            want_files = len(set(rs[(i * 7919 + j * 104729) % len(rs)] for i in range(4) for j in range(3)))
            if keypair:
                want_files += len(set(pem_files))
            if k_files != r_files or len(k_files) != want_files:
                fail(f"{name}: files differ: keyward {sorted(k_files ^ r_files)[:3]}, {len(k_files)} vs rg {len(r_files)}, planted {want_files}")
            if not keypair and k_places != r_places:
                fail(f"{name}: hits differ: {sorted(k_places ^ r_places)[:3]}")
            if report["secrets_searched"] < len(tokens):
                fail(f"{name}: keyward searched {report['secrets_searched']} secrets, expected {len(tokens)}+")

            def timed(cmd):
                t = time.perf_counter()
                p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                e = time.perf_counter() - t
                if p.returncode not in (0, 1):
                    fail(f"a timed run failed: {cmd[0]} exit {p.returncode}")
                return e

            timed(r_cmd), timed(k_cmd)
            kt, rt = [], []
            for _ in range(a.runs):
                rt.append(timed(r_cmd))
                kt.append(timed(k_cmd))
            k, r = statistics.median(kt), statistics.median(rt)
            ratio = k / r
            worst = max(worst, ratio)
            mb = report["bytes_scanned"] / 1e6
            print(f"| {name} | {n} | {report['files_scanned']} | {mb:.0f} | {k:.3f} s (min {min(kt):.3f}) "
                  f"| {r:.3f} s (min {min(rt):.3f}) | {ratio:.2f} |", flush=True)
        print()
        print(f"worst ratio keyward/rg: {worst:.2f} (limit {a.limit})")
        if worst > a.limit:
            fail(f"keyward is {worst:.2f}× ripgrep's time (limit {a.limit})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
