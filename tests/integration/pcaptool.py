#!/usr/bin/env python3
"""A small, independent reader of classic pcap files for the integration tests.

It checks flowlane's output against what is expected without using flowlane's
own code: the records of a file, filtered by length, compared frame by frame.

  pcaptool.py count FILE                       number of records
  pcaptool.py filter IN OUT --max-len N        copy records of at most N bytes
  pcaptool.py same A B                         exit 0 if the frames are equal, in order
                                               (timestamps are not compared)
"""
import struct
import sys


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise SystemExit(f"{path}: shorter than a pcap header")
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        endian = ">"
    else:
        raise SystemExit(f"{path}: not a pcap file (magic {magic:#x})")
    header = data[:24]
    records, off = [], 24
    while off < len(data):
        if off + 16 > len(data):
            raise SystemExit(f"{path}: truncated record header at offset {off}")
        ts_sec, ts_frac, caplen, wirelen = struct.unpack(endian + "IIII", data[off:off + 16])
        if off + 16 + caplen > len(data):
            raise SystemExit(f"{path}: truncated record at offset {off}")
        records.append((data[off:off + 16], data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return header, records


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    cmd = argv[1]
    if cmd == "count":
        print(len(read_pcap(argv[2])[1]))
    elif cmd == "filter":
        header, records = read_pcap(argv[2])
        max_len = int(argv[argv.index("--max-len") + 1])
        with open(argv[3], "wb") as f:
            f.write(header)
            for rec_hdr, frame in records:
                if len(frame) <= max_len:
                    f.write(rec_hdr + frame)
    elif cmd == "same":
        a, b = read_pcap(argv[2])[1], read_pcap(argv[3])[1]
        if len(a) != len(b):
            print(f"{argv[2]}: {len(a)} frames, {argv[3]}: {len(b)} frames")
            return 1
        for i, ((_, fa), (_, fb)) in enumerate(zip(a, b)):
            if fa != fb:
                print(f"frame {i} differs: {len(fa)} vs {len(fb)} bytes")
                return 1
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
