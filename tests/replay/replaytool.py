#!/usr/bin/env python3
"""Captures in, expected captures out: the golden cases of `flowlane replay`.

This file writes pcapng (several interfaces, several sections, either byte
order, every packet block kind) and classic pcap from a text description, and
checks what flowlane wrote with its own pcap reader: none of flowlane's code
is involved. Frames are built by tests/integration/pcaptool.py, which
computes every checksum in full, so equal bytes mean flowlane's incremental
updates agree.

  replaytool.py build CASE WORK        WORK/in.pcapng (or in.pcap) and WORK/inputs.json
  replaytool.py check CASE WORK OUT    OUT must hold exactly the expected port files
  replaytool.py summary JSON CHECKS    the summary's counters must have the values CHECKS says

A case directory (see README in this directory) holds `flows`, `in`, `ports`,
optional `frames` (named frames, pcaptool syntax), `port-N.out` (frames port
N sends, in order; none if absent), `args` and `checks`.

`in`, one item a line ('#' comments):
  format pcap [nano] [be] | format pcapng       first line; default pcapng
  section [be|le]                                a new section (pcapng)
  iface NAME [linktype=N] [snaplen=N] [tsresol=N] [tsoffset=S]
  block TYPE [HEX]                               any other block, body HEX
  rawbytes HEX                                   bytes written as they are
  truncate -N | truncate N                       drop the last N bytes | keep the first N
  @IF [kind=epb|spb|opb] [cut=N] [ts=NS] [trailer=N] FRAME
      a packet on interface IF (index or name in the current section); cut=N
      captures only N bytes; trailer=N writes a wrong trailing block length
FRAME is `raw HEX`, or a pcaptool frame (`=name | layer k=v`, or layers),
followed by modifiers `! cut N` (keep the first N bytes), `! set OFF HEX`
(overwrite bytes from offset OFF: a malformed header), or
`! csum ip4|l4 +0xNNNN` (add, in ones' complement, to a checksum: a wrong
checksum that an incremental update must keep exactly as wrong).
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import pcaptool  # noqa: E402  (the integration tests' frame builder)

TS_BASE = 1_700_000_000 * 10**9  # ns; packets are 1 ms apart unless ts= says


# ---- frames -----------------------------------------------------------------

def ones_add(a, b):
    s = a + b
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def csum_offset(frame, which):
    """Offset of the IPv4 header checksum or the L4 checksum of a frame."""
    typ, pos = struct.unpack("!H", frame[12:14])[0], 14
    while typ in (0x8100, 0x88A8):
        typ, pos = struct.unpack("!H", frame[pos + 2:pos + 4])[0], pos + 4
    if typ == 0x0800:
        if which == "ip4":
            return pos + 10
        proto, pos = frame[pos + 9], pos + (frame[pos] & 0xF) * 4
    elif typ == 0x86DD and which == "l4":
        proto, pos = frame[pos + 6], pos + 40
    else:
        raise ValueError(f"no {which} checksum in this frame")
    return pos + {6: 16, 17: 6, 1: 2, 58: 2}[proto]


def build_frame(text, defs, where):
    parts = text.split("!")
    head = parts[0].strip()
    if head.startswith("raw"):
        frame = bytes.fromhex(head[3:].replace(" ", ""))
    else:
        layers, count = pcaptool.spec_line(head, defs, where)
        if count != 1:
            raise SystemExit(f"{where}: '* K' repeats are not supported here")
        frame = pcaptool.build_frame(layers)
    for mod in parts[1:]:
        words = mod.split()
        if words[:1] == ["cut"]:
            frame = frame[:int(words[1], 0)]
        elif words[:1] == ["set"] and len(words) == 3:
            off, new = int(words[1], 0), bytes.fromhex(words[2])
            frame = frame[:off] + new + frame[off + len(new):]
        elif words[:1] == ["csum"] and len(words) == 3:
            off = csum_offset(frame, words[1])
            old = struct.unpack("!H", frame[off:off + 2])[0]
            new = ones_add(old, int(words[2].lstrip("+"), 0))
            frame = frame[:off] + struct.pack("!H", new) + frame[off + 2:]
        else:
            raise SystemExit(f"{where}: unknown modifier {mod.strip()!r}")
    return frame


def load_defs(case):
    path = os.path.join(case, "frames")
    return pcaptool.load_defs(path if os.path.exists(path) else None)


def lines(path):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if line:
                yield n, line


# ---- writing captures -------------------------------------------------------

def pad4(b):
    return b + bytes(-len(b) % 4)


class PcapngWriter:
    def __init__(self):
        self.out = bytearray()
        self.e = None        # byte order of the current section
        self.ifaces = []     # (name, snaplen, tsresol, tsoffset) of the current section

    def block(self, btype, body, trailer=None):
        body = pad4(body)
        n = 12 + len(body)
        self.out += struct.pack(self.e + "II", btype, n) + body
        self.out += struct.pack(self.e + "I", n if trailer is None else trailer)

    def section(self, order="le"):
        self.e = "<" if order == "le" else ">"
        self.ifaces = []
        opt = self.option(4, b"replaytool.py") + self.option(0, b"")
        self.block(0x0A0D0D0A, struct.pack(self.e + "IHHq", 0x1A2B3C4D, 1, 0, -1) + opt)

    def option(self, code, value):
        return struct.pack(self.e + "HH", code, len(value)) + pad4(value)

    def iface(self, name, linktype=1, snaplen=0, tsresol=6, tsoffset=0):
        opts = self.option(2, name.encode())
        if tsresol != 6:
            opts += self.option(9, bytes([tsresol]))
        if tsoffset:
            opts += self.option(14, struct.pack(self.e + "q", tsoffset))
        opts += self.option(0, b"")
        self.block(1, struct.pack(self.e + "HHI", linktype, 0, snaplen) + opts)
        self.ifaces.append((name, snaplen, tsresol, tsoffset))

    def units(self, idx, ts_ns):
        """ts_ns in the interface's units, and the ns a reader must get back."""
        _, _, res, off = self.ifaces[idx] if idx < len(self.ifaces) else ("", 0, 6, 0)
        rel = ts_ns - off * 10**9
        if res & 0x80:
            u = rel * (1 << (res & 0x7F)) // 10**9
            back = u * 10**9 >> (res & 0x7F)
        else:
            e = res
            u = rel * 10**e // 10**9
            back = u * 10**9 // 10**e
        return u, back + off * 10**9

    def packet(self, idx, kind, frame, cut, ts_ns, trailer):
        cap = frame[:cut] if cut is not None else frame
        if kind == "spb":
            self.block(3, struct.pack(self.e + "I", len(frame)) + cap, trailer)
            return None
        u, back = self.units(idx, ts_ns)
        fixed = (struct.pack(self.e + "I", idx) if kind == "epb"
                 else struct.pack(self.e + "HH", idx, 0))
        fixed += struct.pack(self.e + "IIII", u >> 32, u & 0xFFFFFFFF, len(cap), len(frame))
        self.block(6 if kind == "epb" else 2, fixed + cap, trailer)
        return back


def write_pcap(nano, order, packets):
    e = "<" if order == "le" else ">"
    out = bytearray(struct.pack(e + "IHHiIII", 0xA1B23C4D if nano else 0xA1B2C3D4, 2, 4, 0, 0,
                                65535, 1))
    for frame, cut, ts in packets:
        cap = frame[:cut] if cut is not None else frame
        sec, frac = divmod(ts, 10**9)
        out += struct.pack(e + "IIII", sec, frac if nano else frac // 1000, len(cap), len(frame))
        out += cap
    return out


def build(case, work):
    defs = load_defs(case)
    items = list(lines(os.path.join(case, "in")))
    fmt = ["pcapng"]
    if items and items[0][1].startswith("format"):
        fmt = items.pop(0)[1].split()[1:]
    inputs, pcap_packets, truncate, k = [], [], 0, 0
    w = PcapngWriter()
    for n, line in items:
        where = f"{case}/in:{n}"
        words = line.split()
        if words[0] == "truncate":
            truncate = int(words[1])  # -N: drop the last N bytes; N: keep the first N
        elif words[0] == "rawbytes":
            w.out += bytes.fromhex("".join(words[1:]))
        elif fmt[0] == "pcapng" and words[0] == "section":
            w.section(words[1] if len(words) > 1 else "le")
        elif fmt[0] == "pcapng" and words[0] == "iface":
            if w.e is None:
                w.section()
            opts = {k2: int(v, 0) for k2, v in (x.split("=", 1) for x in words[2:])}
            w.iface(words[1], **opts)
        elif fmt[0] == "pcapng" and words[0] == "block":
            if w.e is None:
                w.section()
            w.block(int(words[1], 0), bytes.fromhex("".join(words[2:])))
        elif words[0].startswith("@"):
            opts, rest = {}, words[1:]
            while rest and "=" in rest[0] and rest[0].split("=")[0] in ("kind", "cut", "ts", "trailer"):
                key, val = rest.pop(0).split("=", 1)
                opts[key] = val
            frame = build_frame(" ".join(rest), defs, where)
            k += 1
            ts = int(opts["ts"], 0) if "ts" in opts else TS_BASE + k * 10**6
            cut = int(opts["cut"], 0) if "cut" in opts else None
            if fmt[0] == "pcap":
                pcap_packets.append((frame, cut, ts))
                back = ts if "nano" in fmt else ts // 1000 * 1000
            else:
                if w.e is None:
                    w.section()
                ref = words[0][1:]
                names = [i[0] for i in w.ifaces]
                idx = int(ref) if ref.isdigit() else names.index(ref)
                trailer = int(opts["trailer"], 0) if "trailer" in opts else None
                back = w.packet(idx, opts.get("kind", "epb"), frame, cut, ts, trailer)
            inputs.append({"ts": back, "frame": frame.hex()})
        else:
            raise SystemExit(f"{where}: cannot read {line!r}")
    if fmt[0] == "pcap":
        data = write_pcap("nano" in fmt, "be" if "be" in fmt else "le", pcap_packets)
        name = "in.pcap"
    else:
        data, name = bytes(w.out), "in.pcapng"
    if truncate:
        data = data[:truncate]  # (the file is never meant to be cut to nothing)
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, name), "wb") as f:
        f.write(data)
    with open(os.path.join(work, "inputs.json"), "w") as f:
        json.dump(inputs, f)
    print(os.path.join(work, name))


# ---- checking outputs -------------------------------------------------------

def read_output(path):
    """Records of a pcap flowlane wrote: nanosecond, little-endian, Ethernet."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f"{path}: {len(data)} bytes, shorter than a pcap header")
    magic, major, minor, _, _, _, link = struct.unpack("<IHHiIII", data[:24])
    if magic != 0xA1B23C4D or (major, minor) != (2, 4) or link != 1:
        raise ValueError(f"{path}: header {magic:#x} {major}.{minor} link {link}, "
                         "want nanosecond pcap 2.4 of Ethernet")
    recs, off = [], 24
    while off < len(data):
        if off + 16 > len(data):
            raise ValueError(f"{path}: record header cut short at offset {off}")
        sec, ns, cap, wire = struct.unpack("<IIII", data[off:off + 16])
        if cap != wire or off + 16 + cap > len(data):
            raise ValueError(f"{path}: bad record at offset {off} ({cap}/{wire} bytes)")
        recs.append((sec * 10**9 + ns, data[off + 16:off + 16 + cap]))
        off += 16 + cap
    return recs


def check(case, work, out):
    defs = load_defs(case)
    with open(os.path.join(work, "inputs.json")) as f:
        inputs = json.load(f)
    stamps = {i["ts"] for i in inputs if i["ts"] is not None}
    # a simple packet block has no timestamp: its frames leave with the time of the run
    timeless = any(i["ts"] is None for i in inputs)
    want_ports = set()
    for _, line in lines(os.path.join(case, "ports")):
        want_ports |= {int(x) for x in line.split()}
    want_files = {f"port-{n}.pcap" for n in want_ports}
    got_files = set(os.listdir(out))
    bad = 0
    if got_files != want_files:
        print(f"{case}: files {sorted(got_files)}, want {sorted(want_files)}")
        return 1
    for n in sorted(want_ports):
        label = f"{os.path.basename(case)}: port {n}"
        spec = os.path.join(case, f"port-{n}.out")
        want = [build_frame(line, defs, f"{spec}:{k}") for k, line in lines(spec)] \
            if os.path.exists(spec) else []
        try:
            got = read_output(os.path.join(out, f"port-{n}.pcap"))
        except ValueError as e:
            print(f"{label}: {e}")
            bad = 1
            continue
        for i, (a, (ts, b)) in enumerate(zip(want, got)):
            if a != b:
                j = next((x for x in range(min(len(a), len(b))) if a[x] != b[x]),
                         min(len(a), len(b)))
                print(f"{label}: frame {i} differs at byte {j} ({pcaptool.field_at(a, j)}); "
                      f"lengths {len(a)} / {len(b)}\n  want {a.hex()}\n  got  {b.hex()}")
                bad = 1
                break
            if ts not in stamps and not timeless:
                print(f"{label}: frame {i} has timestamp {ts}, which no input packet had")
                bad = 1
        if len(want) != len(got):
            print(f"{label}: want {len(want)} frames, got {len(got)}")
            bad = 1
        if not timeless and [ts for ts, _ in got] != sorted(ts for ts, _ in got):
            print(f"{label}: timestamps out of capture order")
            bad = 1
    return bad


def summary(path, checks):
    with open(path) as f:
        s = json.load(f)
    bad = 0
    for n, line in lines(checks):
        key, _, want = (x.strip() for x in line.partition("="))
        v = s
        for part in key.split("."):
            if isinstance(v, list):  # ports: by name
                v = next((p for p in v if p.get("name") == part), None)
            elif isinstance(v, dict):
                v = v.get(part)
            if v is None:
                break
        if str(v) != want:
            print(f"{checks}:{n}: {key} is {v}, want {want}")
            bad = 1
    return bad


def main(argv):
    if len(argv) >= 4 and argv[1] == "build":
        build(argv[2], argv[3])
        return 0
    if len(argv) >= 5 and argv[1] == "check":
        return check(argv[2], argv[3], argv[4])
    if len(argv) >= 4 and argv[1] == "summary":
        return summary(argv[2], argv[3])
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
