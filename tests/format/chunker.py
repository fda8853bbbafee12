#!/usr/bin/env python3
"""An independent FastCDC chunker, written from docs/FORMAT.md section 8 alone.

It shares no code with Cairn or the fastcdc crate: the gear table, the masks and the cut
rule are those the document gives. If it cuts what the CLI wrote into the same chunks, the
document is precise enough and the engine follows it.

    chunker.py [--chunking MIN,AVG,MAX] [--seed S] FILE
        print the length of each chunk of FILE, one per line (default chunking
        65536,262144,1048576, seed 0: a plain repository)
    chunker.py --check-repo REPO
        for every snapshot of a plain repository: restore each item (with read_plain.py,
        the independent reader), chunk it, and check the chunk lengths against the
        item's chunk lists, the split into lists, and the counters of section 9
"""
import hashlib
import os
import sys

M64 = (1 << 64) - 1

# Section 8, "Gear table": the first 8 bytes, big-endian, of MD5 of 64 bytes all equal to b.
GEAR = [int.from_bytes(hashlib.md5(bytes([b]) * 64).digest()[:8], "big") for b in range(256)]
assert GEAR[0] == 0x3B5D3C7D207E37DC and GEAR[1] == 0x784D68BA91123086 and GEAR[255] == 0xAABD2B2A451504E1

# Section 8, "Masks": MASKS[i] has i one bits.
MASKS = {
    7: 0x0000000018035100, 8: 0x0000001800035300, 9: 0x0000019000353000,
    10: 0x0000590003530000, 11: 0x0000D90003530000, 12: 0x0000D90103530000,
    13: 0x0000D90303530000, 14: 0x0000D90313530000, 15: 0x0000D90F03530000,
    16: 0x0000D90303537000, 17: 0x0000D90703537000, 18: 0x0000D90707537000,
    19: 0x0000D91707537000, 20: 0x0000D91747537000, 21: 0x0000D91767537000,
    22: 0x0000D93767537000, 23: 0x0000D93777537000,
}
assert all(bin(m).count("1") == i for i, m in MASKS.items())

LIST_ENTRIES = 8192  # section 8, "Chunk lists"


def check_params(mn, avg, mx):
    """Section 14: even bounds, min <= avg <= max, each within its range."""
    ok = (64 <= mn <= 1048576 and 256 <= avg <= 4194304 and 1024 <= mx <= 16777216
          and mn <= avg <= mx and mn % 2 == 0 and avg % 2 == 0 and mx % 2 == 0)
    if not ok:
        sys.exit(f"chunker: chunking {mn},{avg},{mx} is outside the limits of FORMAT.md section 14")


def masks(avg):
    """MASK_S = MASKS[beta + 1], MASK_L = MASKS[beta - 1], beta the integer with
    2^(2 beta - 1) <= avg^2 < 2^(2 beta + 1)."""
    sq = avg * avg
    beta = next(b for b in range(64) if 2 ** (2 * b - 1) <= sq < 2 ** (2 * b + 1))
    return MASKS[beta + 1], MASKS[beta - 1]


def chunk_lengths(data, mn, avg, mx, seed=0):
    """The lengths of the chunks section 8 cuts `data` (one item) into."""
    check_params(mn, avg, mx)
    gear = [g ^ seed for g in GEAR]
    mask_s, mask_l = masks(avg)
    out = []
    start, total = 0, len(data)
    while start < total:
        r = total - start
        if r <= mn:  # step 1: the rest is the last chunk
            out.append(r)
            break
        n = min(r, mx)  # step 2
        s = 2 * (min(avg, r) // 2)
        e = 2 * (n // 2)
        h = 0
        length = n  # step 3, unless a position matches
        i = mn
        for mask, stop in ((mask_s, s), (mask_l, e)):
            for b in data[start + i: start + stop]:
                h = ((h << 1) + gear[b]) & M64
                if not h & mask:
                    length = i
                    break
                i += 1
            else:
                continue
            break
        out.append(length)
        start += length
    return out


def check_repo(repo):
    """Chunk every item of every snapshot of a plain repository and compare with what the
    repository records (sections 8 and 9)."""
    import json
    import struct
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import read_plain

    config = json.loads(read_plain.read(repo, "config.json"))
    if config["encryption"] is not None:
        sys.exit("chunker: --check-repo needs a plain repository (seed 0)")
    c = config["chunking"]
    index = read_plain.load_index(repo)
    snaps = []
    for sid in sorted(os.listdir(os.path.join(repo, "snapshots"))):
        data = read_plain.read(repo, f"snapshots/{sid}")
        if hashlib.sha256(data).hexdigest() != sid:
            sys.exit(f"chunker: snapshots/{sid} does not match its name")
        snaps.append((sid, json.loads(data)))
    snaps.sort(key=lambda x: (x[1]["createdAt"], x[0]))
    stored = set()  # blob ids stored by the snapshots so far, oldest first (section 9, counters)
    failures, chunks_checked = 0, 0
    for sid, m in snaps:
        count = new = stored_size = 0
        for item in m["items"]:
            lengths, body = [], bytearray()
            for n, list_id in enumerate(item["lists"]):
                listing = read_plain.blob(repo, index, list_id, 1)
                entries = [struct.unpack_from("<32sI", listing, o) for o in range(0, len(listing), 36)]
                if not 1 <= len(entries) <= LIST_ENTRIES or (n + 1 < len(item["lists"]) and len(entries) != LIST_ENTRIES):
                    print(f"{sid[:12]} {item['name']}: list {n} has {len(entries)} entries", file=sys.stderr)
                    failures += 1
                if list_id not in stored:
                    stored.add(list_id)
                    stored_size += index[list_id][2]
                for chunk_id, length in entries:
                    chunk_id = chunk_id.hex()
                    body += read_plain.blob(repo, index, chunk_id, 0)
                    lengths.append(length)
                    count += 1
                    if chunk_id not in stored:
                        stored.add(chunk_id)
                        new += 1
                        stored_size += index[chunk_id][2]
            mine = chunk_lengths(bytes(body), c["min"], c["avg"], c["max"])
            chunks_checked += len(mine)
            if mine != lengths:
                at = next((k for k, (a, b) in enumerate(zip(mine, lengths)) if a != b), min(len(mine), len(lengths)))
                print(f"{sid[:12]} {item['name']}: chunk {at} differs: recorded {lengths[at:at + 3]}, "
                      f"chunker {mine[at:at + 3]} ({len(lengths)} vs {len(mine)} chunks)", file=sys.stderr)
                failures += 1
            if item["size"] != len(body) or item["chunkCount"] != len(lengths):
                print(f"{sid[:12]} {item['name']}: size/chunkCount {item['size']}/{item['chunkCount']}, "
                      f"lists give {len(body)}/{len(lengths)}", file=sys.stderr)
                failures += 1
        want = {"chunkCount": count, "newChunks": new, "reusedChunks": count - new,
                "originalSize": sum(i["size"] for i in m["items"]), "storedSize": stored_size}
        got = {k: m[k] for k in want}
        if got != want:
            print(f"{sid[:12]}: counters {got}, recomputed {want}", file=sys.stderr)
            failures += 1
    if failures:
        sys.exit(f"chunker: {failures} disagreement(s) in {repo}")
    print(f"{len(snaps)} snapshots, {chunks_checked} chunks: boundaries, lists and counters agree")


def main():
    args = sys.argv[1:]
    if args[:1] == ["--check-repo"] and len(args) == 2:
        return check_repo(args[1])
    chunking, seed = (65536, 262144, 1048576), 0
    while len(args) > 1 and args[0].startswith("--"):
        opt, val = args[0], args[1]
        args = args[2:]
        if opt == "--chunking":
            chunking = tuple(int(v) for v in val.split(","))
        elif opt == "--seed":
            seed = int(val, 0)
        else:
            sys.exit(__doc__)
    if len(args) != 1 or len(chunking) != 3 or not 0 <= seed <= M64:
        sys.exit(__doc__)
    with open(args[0], "rb") as f:
        data = f.read()
    lengths = chunk_lengths(data, *chunking, seed=seed)
    sys.stdout.write("".join(f"{n}\n" for n in lengths))


if __name__ == "__main__":
    main()
