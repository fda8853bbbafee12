#!/usr/bin/env python3
"""An independent reader of plain Cairn repositories, written from docs/FORMAT.md alone.

It shares no code with Cairn: it parses the files as FORMAT.md describes them and hands
every compressed chunk to the system's `gzip -d` or `zstd -d`. If it restores a snapshot
byte for byte, the format document is precise enough and the engine follows it.

    read_plain.py REPO SNAPSHOT_ID [ITEM] > out    restore a snapshot (or one item)
    read_plain.py REPO --list                      print snapshot ids, one per line
"""
import hashlib
import json
import os
import struct
import subprocess
import sys

ENTRY = struct.Struct("<32sIIIBBH")  # FORMAT.md section 6: id, offset, storedLen, rawLen, kind, codec, zero
DECODERS = {1: ["gzip", "-d", "-c"], 2: ["zstd", "-d", "-c", "-q"]}


def fail(msg):
    sys.exit(f"read_plain: {msg}")


def read(repo, key):
    with open(os.path.join(repo, key), "rb") as f:
        return f.read()


def entries(table):
    if len(table) % ENTRY.size:
        fail("entry table length is not a multiple of 48")
    for off in range(0, len(table), ENTRY.size):
        yield ENTRY.unpack_from(table, off)


def load_index(repo):
    """Section 7: every segment not superseded; blob id -> (pack id, offset, storedLen, rawLen, kind, codec)."""
    segments = {}
    for name in sorted(os.listdir(os.path.join(repo, "index"))):
        data = read(repo, f"index/{name}")
        if hashlib.sha256(data).hexdigest() != name:
            fail(f"index/{name}: SHA-256 does not match the name")
        if data[:8] != b"CAIRNIS1":
            fail(f"index/{name}: bad magic")
        body, pos = data[8:], 0
        (n,) = struct.unpack_from("<I", body, pos)
        pos += 4
        supersedes = [body[pos + 32 * i: pos + 32 * (i + 1)].hex() for i in range(n)]
        pos += 32 * n
        (p,) = struct.unpack_from("<I", body, pos)
        pos += 4
        packs = []
        for _ in range(p):
            pack_id, size, count = struct.unpack_from("<32sQI", body, pos)
            pos += 44
            packs.append((pack_id.hex(), list(entries(body[pos: pos + 48 * count]))))
            pos += 48 * count
        if pos != len(body):
            fail(f"index/{name}: trailing bytes")
        segments[name] = (supersedes, packs)
    superseded = {s for sup, _ in segments.values() for s in sup}
    index = {}
    for name, (_, packs) in segments.items():
        if name in superseded:
            continue
        for pack_id, es in packs:
            for blob_id, offset, stored, raw, kind, codec, _ in es:
                index.setdefault(blob_id.hex(), (pack_id, offset, stored, raw, kind, codec))
    return index


def blob(repo, index, blob_id, want_kind):
    """Section 12 step 4: cut the stored bytes out of the pack, decompress, check."""
    pack_id, offset, stored_len, raw_len, kind, codec = index[blob_id]
    if kind != want_kind:
        fail(f"blob {blob_id} has kind {kind}, expected {want_kind}")
    with open(os.path.join(repo, "packs", "data", pack_id[:2], pack_id + ".pack"), "rb") as f:
        f.seek(offset)
        stored = f.read(stored_len)
    if codec == 0:
        plain = stored
    else:
        plain = subprocess.run(DECODERS[codec], input=stored, capture_output=True, check=True).stdout
    if len(plain) != raw_len or hashlib.sha256(plain).hexdigest() != blob_id:
        fail(f"blob {blob_id} does not decode to its id")
    return plain


def main():
    if len(sys.argv) < 3:
        fail(__doc__)
    repo = sys.argv[1]
    raw = read(repo, "config.json")
    config = json.loads(raw)
    if config.get("format") != "cairn" or config.get("version") != 1:
        fail(f"not a version-1 Cairn repository: {config.get('format')} {config.get('version')}")
    if "checksum" in config:  # section 3a; configs written before it have none
        head = b'{\n  "checksum": "'
        if raw[:17] != head or raw[81:84] != b'",\n' or hashlib.sha256(raw[84:]).hexdigest().encode() != raw[17:81]:
            fail("config.json does not match its checksum")
    if config["encryption"] is not None:
        fail("this reader handles plain repositories only")
    if sys.argv[2] == "--list":
        for name in sorted(os.listdir(os.path.join(repo, "snapshots"))):
            print(name)
        return
    snap_id = sys.argv[2]
    data = read(repo, f"snapshots/{snap_id}")
    if hashlib.sha256(data).hexdigest() != snap_id:
        fail("the manifest's SHA-256 does not match its name")
    manifest = json.loads(data)
    if manifest["version"] != 1:
        fail(f"manifest version {manifest['version']}")
    index = load_index(repo)
    items = manifest["items"]
    if len(sys.argv) > 3:
        items = [i for i in items if i["name"] == sys.argv[3]]
    out = sys.stdout.buffer
    for item in items:
        for list_id in item["lists"]:
            listing = blob(repo, index, list_id, 1)
            for off in range(0, len(listing), 36):
                chunk_id, length = struct.unpack_from("<32sI", listing, off)
                chunk = blob(repo, index, chunk_id.hex(), 0)
                if len(chunk) != length:
                    fail("chunk length differs from its list entry")
                out.write(chunk)


if __name__ == "__main__":
    main()
