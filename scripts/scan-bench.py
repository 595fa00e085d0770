#!/usr/bin/env python3
"""Corpus benchmark for `keyward scan --unknown` (issue 15 item 2) against detect-secrets and
secretlint, in one run on the same corpus.

Corpus: real source trees (crates from the cargo registry: regex, ignore, clap_builder,
serde_json and toml sources) plus one planted file per detector, holding a fake key built
at run time from the rule's `sample` template in assets/detectors.toml (the provider's
published format), and one look-alike file per detector (its `negative` template plus
placeholders, hashes, UUIDs, lockfile integrity strings and data URLs).

Recall: planted lines reported. False alarms: reported lines that are not planted.
Usage: scripts/scan-bench.py KEYWARD_BIN DETECT_SECRETS_BIN SECRETLINT_BIN
"""
import json, os, random, re, shutil, subprocess, sys, tempfile, time, tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REG = os.path.expanduser("~/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f")
CRATES = ["regex-1.13.2", "ignore-0.4.35", "clap_builder-4.6.7", "serde_json-1", "toml-0"]
ALPH = {
    "alnum": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "alpha": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "hex": "0123456789abcdef", "HEX": "0123456789ABCDEF",
    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "lower": "abcdefghijklmnopqrstuvwxyz",
    "digits": "0123456789",
    "b64": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    "b64url": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    "b32": "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "bech": "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
}

def expand(t, rng):
    def sub(m):
        body = m.group(0)
        if body.startswith("{{"):
            return body[2:-2]
        spec = body[1:-1]
        if spec == "uuid":
            h = "".join(rng.choice("0123456789abcdef") for _ in range(32))
            return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"
        cls, _, n = spec.partition(":")
        if cls not in ALPH:
            return body
        return "".join(rng.choice(ALPH[cls]) for _ in range(int(n or 0)))
    return re.sub(r"\{\{.*?\}\}|\{[^{}]*\}", sub, t).replace("\\n", "\n")

LOOK_ALIKES = """aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
OPENAI_API_KEY=YOUR_API_KEY
STRIPE_SECRET_KEY=${STRIPE_SECRET_KEY}
CHECKSUM=9e107d9d372bb6826bd81d3542a419d6e4a0f9e3c1b2a0d5e6f7a8b9c0d1e2f3
request_id = "123e4567-e89b-42d3-a456-426614174000"
      "integrity": "sha512-q2Kf8n0tJ3sX7dEw4yRqB9vLzP5mHcN1aG6uKoTe8WbYxZ2Fj0LsDp7VhQ3rM4iN5tA8cE1kG9oS6uB2wY0xZQ==",
  background: url(data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==);
commit = "3f786850e387550fdab836ed7e6dc881de23001b"
"""

def main():
    keyward, detect_secrets, secretlint = sys.argv[1:4]
    rng = random.Random(15)
    rules = tomllib.load(open(os.path.join(ROOT, "assets/detectors.toml"), "rb"))["detector"]
    work = tempfile.mkdtemp(prefix="scan-bench-")
    corpus = os.path.join(work, "corpus")
    os.makedirs(corpus)
    for c in os.listdir(REG):
        if any(c.startswith(p) for p in CRATES):
            shutil.copytree(os.path.join(REG, c), os.path.join(corpus, c), ignore=shutil.ignore_patterns(".*"))
    planted = {}  # relative path -> set of lines
    by_id = {r["id"]: r for r in rules}
    os.makedirs(os.path.join(corpus, "planted"))
    for r in rules:
        lines = ["# config", ""]
        if r.get("pair_required"):
            other = by_id[r["pair"]]
            if r["id"].startswith("freqtrade"):
                lines = ['{', '  "exchange": {', '    "name": "binance",']
            else:
                lines = ["import ccxt", "exchange = ccxt.kraken({"]
            body = [expand(r["sample"], rng), expand(other["sample"], rng)]
        else:
            body = [expand(r["sample"], rng)]
        start = len(lines) + 1
        text_lines = "\n".join(body).split("\n")
        lines += text_lines
        rel = f"planted/{r['id']}.txt"
        # The line where each planted value starts (first line of each body part).
        marks, n = set(), start
        for part in body:
            marks.add(n)
            n += part.count("\n") + 1
        planted[rel] = marks
        open(os.path.join(corpus, rel), "w").write("\n".join(lines) + "\n")
    os.makedirs(os.path.join(corpus, "lookalike"))
    neg = [expand(r["negative"], rng) for r in rules if not r.get("pair_required")]
    open(os.path.join(corpus, "lookalike", "negatives.txt"), "w").write("\n".join(neg) + "\n" + LOOK_ALIKES)
    files = sum(len(f) for _, _, f in os.walk(corpus))
    mb = sum(os.path.getsize(os.path.join(d, x)) for d, _, f in os.walk(corpus) for x in f) / 1e6

    def score(found):  # found: set of (rel, line)
        expected = {(p, l) for p, ls in planted.items() for l in ls}
        hit = len(expected & found)
        false = sorted(found - expected)
        # A multi-line planted key may be reported on a neighbouring line.
        false = [f for f in false if not (f[0] in planted and any(abs(f[1] - l) <= 3 for l in planted[f[0]]))]
        return hit, len(expected), false

    results = []
    # keyward: an empty vault made with a fast KDF, then scan --unknown --json.
    vault = os.path.join(work, "v.keyward"); pw = os.path.join(work, "pw")
    open(pw, "w").write("correct horse battery staple\n")
    env = dict(os.environ, KEYWARD_VAULT=vault, KEYWARD_PASSWORD_FILE=pw)
    subprocess.run([keyward, "init", "--kdf-memory-mib", "1", "--kdf-iterations", "1", "--kdf-parallelism", "1"], env=env, check=True, capture_output=True)
    t = time.perf_counter()
    out = subprocess.run([keyward, "scan", "--unknown", "--json", "--no-ignore", corpus], env=env, capture_output=True, text=True)
    kt = time.perf_counter() - t
    found = {(os.path.relpath(h["path"], corpus), h["line"]) for h in json.loads(out.stdout)["hits"]}
    results.append(("keyward scan --unknown", kt, *score(found)))

    t = time.perf_counter()
    out = subprocess.run([detect_secrets, "scan", "--all-files", corpus], capture_output=True, text=True, cwd=work)
    dt = time.perf_counter() - t
    found = set()
    for path, items in json.loads(out.stdout)["results"].items():
        for i in items:
            found.add((os.path.relpath(os.path.join(work, path), corpus) if not os.path.isabs(path) else os.path.relpath(path, corpus), i["line_number"]))
    results.append(("detect-secrets 1.5.0 scan --all-files", dt, *score(found)))

    cfg = os.path.join(work, ".secretlintrc.json")
    open(cfg, "w").write('{"rules":[{"id":"@secretlint/secretlint-rule-preset-recommend"}]}')
    t = time.perf_counter()
    # Through a file: node cuts a large stdout short when secretlint exits.
    report = os.path.join(work, "secretlint.json")
    out = subprocess.run([secretlint, "--secretlintrc", cfg, "--format", "json", "--no-color", "--output", report, f"{corpus}/**/*"], capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(os.path.dirname(secretlint))))
    st = time.perf_counter() - t
    out.stdout = open(report).read() if os.path.exists(report) else out.stdout
    found = set()
    try:
        data, _ = json.JSONDecoder().raw_decode(out.stdout.strip())
        for f in data:
            for m in f.get("messages", []):
                found.add((os.path.relpath(f["filePath"], corpus), m["loc"]["start"]["line"]))
    except json.JSONDecodeError:
        print("secretlint output not JSON:", out.stdout[:300], out.stderr[:300], file=sys.stderr)
    results.append(("secretlint (preset-recommend)", st, *score(found)))

    print(f"corpus: {files} files, {mb:.1f} MB; {sum(len(v) for v in planted.values())} planted values in {len(planted)} files")
    print("| tool | found | false alarms | time (s) |")
    print("| --- | --- | --- | --- |")
    for name, secs, hit, total, false in results:
        print(f"| {name} | {hit}/{total} | {len(false)} | {secs:.2f} |")
    for name, secs, hit, total, false in results:
        if false:
            print(f"{name} false alarms (first 5): {false[:5]}", file=sys.stderr)
    shutil.rmtree(work)

main()
