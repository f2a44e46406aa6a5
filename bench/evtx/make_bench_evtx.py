#!/usr/bin/env python3
"""Build a large, dense EVTX file for benchmarks from small real ones.

The Sigma regression samples hold one to seven records in a 64 KiB chunk, so reading them
measures chunk overhead, not record parsing. Real logs pack ~50-200 records per chunk, most of
them instances of a template defined by an earlier record of the same chunk. This script makes
such chunks: for every source chunk it keeps the records as they are, then appends copies of
them with their inline template definition cut out (so the copies refer to the definition held
by the original, exactly as Windows writes follow-up records), renumbers every record, fixes
the chunk header (record numbers, offsets, both CRC32s) and writes a file header for all
chunks. The output is checked by the caller against evtxexport.

usage: make_bench_evtx.py OUT.evtx [--copies N] [--fill] SOURCE.evtx|DIR ...
"""
import argparse
import os
import struct
import sys
import zlib

CHUNK = 65536


def sources(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                for f in sorted(files):
                    if f.endswith(".evtx"):
                        yield os.path.join(root, f)
        else:
            yield p


def records_of(chunk):
    """(offset, bytes) of each record up to the free-space offset."""
    free = struct.unpack_from("<I", chunk, 48)[0]
    pos, out = 512, []
    while pos + 28 <= min(free, CHUNK):
        if chunk[pos:pos + 4] != b"\x2a\x2a\x00\x00":
            break
        size = struct.unpack_from("<I", chunk, pos + 4)[0]
        if size < 28 or pos + size > CHUNK:
            break
        out.append((pos, bytes(chunk[pos:pos + size])))
        pos += size
    return out


def cut_template(data, start, chunk_pos):
    """data[start:] begins with a fragment header and a template instance located at
    chunk offset chunk_pos. Returns the bytes with an inline template definition removed
    (recursively for Binary XML values that hold their own template instance), or None when
    the layout is not the simple one this tool understands."""
    b = data[start:]
    if len(b) < 14 or b[0:4] != b"\x0f\x01\x01\x00" or b[4] != 0x0C:
        return None
    def_off = struct.unpack_from("<I", b, 10)[0]
    head = b[:14]
    rest_pos = 14
    if def_off == chunk_pos + 14:
        size = struct.unpack_from("<I", b, 14 + 20)[0]
        rest_pos = 14 + 24 + size
        if rest_pos > len(b):
            return None
    # instance data: count, descriptors, values
    if rest_pos + 4 > len(b):
        return None
    n = struct.unpack_from("<I", b, rest_pos)[0]
    desc_pos = rest_pos + 4
    if desc_pos + 4 * n > len(b):
        return None
    descs = [struct.unpack_from("<HBB", b, desc_pos + 4 * i) for i in range(n)]
    vpos = desc_pos + 4 * n
    new_descs, new_vals = [], []
    for size, typ, pad in descs:
        v = b[vpos:vpos + size]
        if typ == 0x21 and len(v) >= 14 and v[4] == 0x0C:
            cut = cut_template(v, 0, chunk_pos + vpos)
            if cut is None:
                return None
            v = cut
        new_descs.append(struct.pack("<HBB", len(v), typ, pad))
        new_vals.append(v)
        vpos += size
    return head + struct.pack("<I", n) + b"".join(new_descs) + b"".join(new_vals) + b[vpos:]


def without_inline_template(off, rec):
    """The record body with inline template definitions removed, or None."""
    body = rec[24:-4]
    return cut_template(body, 0, off + 24)


def build_chunk(chunk, fill, next_id):
    recs = records_of(chunk)
    if not recs:
        return None, next_id
    out = bytearray(chunk[:512])
    bodies = []  # (body, is_copy)
    for off, rec in recs:
        bodies.append(rec[24:-4])
    copies = []
    if fill:
        for off, rec in recs:
            b = without_inline_template(off, rec)
            copies.append(b if b is not None else None)
        if all(c is None for c in copies):
            copies = []
    written = []
    pos = 512
    times = [rec[16:24] for _, rec in recs]

    def put(body, t):
        nonlocal pos, next_id
        size = 24 + len(body) + 4
        if pos + size > CHUNK:
            return False
        out.extend(b"\x2a\x2a\x00\x00" + struct.pack("<IQ", size, next_id) + t + body +
                   struct.pack("<I", size))
        written.append((pos, next_id))
        pos += size
        next_id += 1
        return True

    for i, b in enumerate(bodies):
        if not put(b, times[i]):
            break
    if copies:
        i, stuck = 0, 0
        while stuck < len(copies):
            c = copies[i % len(copies)]
            if c is not None:
                if put(c, times[i % len(copies)]):
                    stuck = 0
                else:
                    break
            else:
                stuck += 1
            i += 1
    free = pos
    out.extend(b"\x00" * (CHUNK - len(out)))
    first_id, last_id = written[0][1], written[-1][1]
    struct.pack_into("<QQQQ", out, 8, first_id, last_id, first_id, last_id)
    struct.pack_into("<II", out, 44, written[-1][0], free)
    struct.pack_into("<I", out, 52, zlib.crc32(bytes(out[512:free])) & 0xFFFFFFFF)
    struct.pack_into("<I", out, 124, zlib.crc32(bytes(out[0:120]) + bytes(out[128:512])) & 0xFFFFFFFF)
    return bytes(out), next_id


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("src", nargs="+")
    ap.add_argument("--copies", type=int, default=1, help="repeat the whole set N times")
    ap.add_argument("--fill", action="store_true", help="fill chunks with template copies")
    a = ap.parse_args()
    chunks = []
    for path in sources(a.src):
        data = open(path, "rb").read()
        if data[:8] != b"ElfFile\x00":
            continue
        for c in range(4096, len(data) - CHUNK + 1, CHUNK):
            ch = data[c:c + CHUNK]
            if ch[:8] == b"ElfChnk\x00":
                chunks.append(ch)
    next_id = 1
    body = []
    for _ in range(a.copies):
        for ch in chunks:
            built, next_id = build_chunk(ch, a.fill, next_id)
            if built is not None:
                body.append(built)
    if len(body) > 0xFFFF:
        sys.exit("too many chunks for one file (%d > 65535)" % len(body))
    hdr = bytearray(4096)
    hdr[0:8] = b"ElfFile\x00"
    struct.pack_into("<QQQIHHHH", hdr, 8, 0, len(body) - 1, next_id, 128, 1, 3, 4096, len(body))
    struct.pack_into("<I", hdr, 124, zlib.crc32(bytes(hdr[0:120])) & 0xFFFFFFFF)
    with open(a.out, "wb") as f:
        f.write(hdr)
        for b in body:
            f.write(b)
    print("%s: %d chunks, %d records" % (a.out, len(body), next_id - 1))


if __name__ == "__main__":
    main()
