#!/usr/bin/env python3
"""A small, independent reader and writer of classic pcap files for the
integration tests.

It checks flowlane's output against what is expected without using flowlane's
own code: the records of a file, filtered by length, compared frame by frame;
and frames built from a text description with every checksum computed in full
(flowlane updates checksums incrementally, so equal bytes mean both agree).

  pcaptool.py count FILE                       number of records
  pcaptool.py filter IN OUT --max-len N        copy records of at most N bytes
  pcaptool.py same A B                         exit 0 if the frames are equal, in order
                                               (timestamps are not compared)
  pcaptool.py build SPEC OUT [SPEC OUT ...] [--frames DEFS]
                                               write the frames described in each SPEC
  pcaptool.py dump FILE                        print every frame as hex
  pcaptool.py diff WANT GOT [--label L] [--unordered]
                                               like same, but says which frame, which
                                               byte and which header field differ;
                                               --unordered compares as multisets

Frame descriptions (build): one frame per line; '#' starts a comment. A frame
is layers joined by '/', each a name and key=value options:

  eth dst=MAC src=MAC [type=0xNNNN]
  vlan vid=N [pcp=N] [tpid=0x8100]
  ipv4 src=A dst=A [ttl=64] [tos=0] [id=0] [df=1] [proto=N]
  ipv6 src=A dst=A [hlim=64] [tc=0] [flow=0]
  tcp sport=N dport=N [flags=SAFRPU.|0xNN] [seq=N] [ack=N] [win=N]
  udp sport=N dport=N [csum=N]      (csum=0: no checksum, IPv4 only)
  icmp type=N code=N [id=N] [seq=N]
  arp op=N sha=MAC spa=A tha=MAC tpa=A
  payload N | payload hex=HEX   (N bytes 0x00, 0x01, ... mod 256)

Frames shorter than 60 bytes are zero-padded to 60 (lengths in the headers do
not count the pad). A DEFS file names frames ('NAME: layers'); a spec line may
then be '=NAME', '=NAME * K' (K copies), or '=NAME | layer key=val ...' to
change options of the named frame's first layer of that kind (several '|'
parts allowed), e.g. '=web | ipv4 dst=10.9.9.9 ttl=63 | eth src=00:..:01'.
"""
import ipaddress
import struct
import sys


# ---- reading ---------------------------------------------------------------

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


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1000 + i, 0, len(fr), len(fr)) + fr)


# ---- building --------------------------------------------------------------

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac(s):
    b = bytes(int(x, 16) for x in s.split(":"))
    if len(b) != 6:
        raise ValueError(f"bad MAC {s!r}")
    return b


def num(s):
    return int(s, 0)


TCP_FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20, "E": 0x40, "C": 0x80}
ETH_TYPES = {"ipv4": 0x0800, "ipv6": 0x86DD, "arp": 0x0806, "vlan": 0x8100}
IP_PROTOS = {"tcp": 6, "udp": 17, "icmp": 1, "icmp6": 58}


def tcp_flags(s):
    if s.startswith("0x") or s.isdigit():
        return num(s)
    return sum(TCP_FLAGS[c] for c in s if c != ".")


def parse_layers(text):
    layers = []
    for part in text.split("/"):
        words = part.split()
        if not words:
            raise ValueError(f"empty layer in {text!r}")
        opts = {}
        for w in words[1:]:
            if "=" in w:
                k, v = w.split("=", 1)
                opts[k] = v
            else:
                opts.setdefault("_", []).append(w)
        layers.append([words[0], opts])
    return layers


def l4_bytes(name, o, pseudo):
    """Layer 4 header + payload with its checksum; pseudo(proto, length) gives
    the pseudo-header sum input, or None for ICMPv4 (no pseudo-header)."""
    payload = o["_payload"]
    if name == "udp":
        ln = 8 + len(payload)
        hdr = struct.pack("!HHHH", num(o["sport"]), num(o["dport"]), ln, 0)
        c = csum(pseudo(17, ln) + hdr + payload)
        if c == 0:
            c = 0xFFFF
        if "csum" in o:  # e.g. csum=0: IPv4 UDP without a checksum
            c = num(o["csum"])
        return hdr[:6] + struct.pack("!H", c) + payload
    if name == "tcp":
        ln = 20 + len(payload)
        hdr = struct.pack("!HHIIBBHHH", num(o["sport"]), num(o["dport"]),
                          num(o.get("seq", "1")), num(o.get("ack", "0")), 5 << 4,
                          tcp_flags(o.get("flags", "S")), num(o.get("win", "8192")), 0, 0)
        c = csum(pseudo(6, ln) + hdr + payload)
        return hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload
    if name == "icmp":
        hdr = struct.pack("!BBHHH", num(o["type"]), num(o.get("code", "0")), 0,
                          num(o.get("id", "1")), num(o.get("seq", "1")))
        c = csum(hdr + payload)
        return hdr[:2] + struct.pack("!H", c) + hdr[4:] + payload
    raise ValueError(f"unknown layer 4 {name!r}")


def build_frame(layers):
    layers = [[n, dict(o)] for n, o in layers]
    # payload (the innermost bytes)
    payload = b""
    if layers and layers[-1][0] == "payload":
        o = layers.pop()[1]
        if "hex" in o:
            payload = bytes.fromhex(o["hex"])
        else:
            n = int(o.get("_", ["0"])[0], 0)
            payload = bytes(i & 0xFF for i in range(n))
    out = payload
    # walk inwards to out: each layer wraps what follows it
    for idx in range(len(layers) - 1, -1, -1):
        name, o = layers[idx]
        nxt = layers[idx + 1][0] if idx + 1 < len(layers) else None
        if name in ("udp", "tcp", "icmp"):
            o["_payload"] = out
            ip = layers[idx - 1] if idx > 0 else None
            if ip is None or ip[0] not in ("ipv4", "ipv6"):
                raise ValueError(f"{name} needs an ipv4/ipv6 layer before it")
            if ip[0] == "ipv4":
                src = ipaddress.IPv4Address(ip[1]["src"]).packed
                dst = ipaddress.IPv4Address(ip[1]["dst"]).packed
                pseudo = (lambda p, ln: src + dst + struct.pack("!BBH", 0, p, ln))
            else:
                src = ipaddress.IPv6Address(ip[1]["src"]).packed
                dst = ipaddress.IPv6Address(ip[1]["dst"]).packed
                pseudo = (lambda p, ln: src + dst + struct.pack("!IxxxB", ln, p))
            if name == "icmp" and ip[0] == "ipv4":
                pseudo = None
            out = l4_bytes(name, o, pseudo)
        elif name == "ipv4":
            proto = num(o["proto"]) if "proto" in o else IP_PROTOS.get(nxt, 0)
            flags_frag = 0x4000 if o.get("df", "0") == "1" else 0
            hdr = struct.pack("!BBHHHBBH4s4s", 0x45, num(o.get("tos", "0")), 20 + len(out),
                              num(o.get("id", "0")), flags_frag, num(o.get("ttl", "64")), proto, 0,
                              ipaddress.IPv4Address(o["src"]).packed,
                              ipaddress.IPv4Address(o["dst"]).packed)
            hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
            out = hdr + out
        elif name == "ipv6":
            nh = num(o["nh"]) if "nh" in o else IP_PROTOS.get(nxt, 59)
            if nxt == "icmp":
                raise ValueError("icmp over ipv6 is not supported by this builder")
            vtf = (6 << 28) | (num(o.get("tc", "0")) << 20) | num(o.get("flow", "0"))
            out = struct.pack("!IHBB16s16s", vtf, len(out), nh, num(o.get("hlim", "64")),
                              ipaddress.IPv6Address(o["src"]).packed,
                              ipaddress.IPv6Address(o["dst"]).packed) + out
        elif name == "arp":
            out = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, num(o.get("op", "1")),
                              mac(o["sha"]), ipaddress.IPv4Address(o["spa"]).packed,
                              mac(o.get("tha", "00:00:00:00:00:00")),
                              ipaddress.IPv4Address(o["tpa"]).packed) + out
        elif name in ("vlan", "eth"):
            typ = num(o["type"]) if "type" in o else ETH_TYPES.get(nxt, 0x88B5)
            if name == "vlan":
                tci = (num(o.get("pcp", "0")) << 13) | num(o["vid"])
                out = struct.pack("!HH", tci, typ) + out
                # the TPID is written by the layer before
                layers[idx][1]["_tpid"] = num(o.get("tpid", "0x8100"))
            else:
                out = mac(o["dst"]) + mac(o["src"]) + struct.pack("!H", typ) + out
            # a vlan layer's TPID replaces the type the outer layer wrote
            if idx + 1 < len(layers) and layers[idx + 1][0] == "vlan":
                tp = layers[idx + 1][1]["_tpid"]
                pos = 12 if name == "eth" else 2
                out = out[:pos] + struct.pack("!H", tp) + out[pos + 2:]
        else:
            raise ValueError(f"unknown layer {name!r}")
    if len(out) < 60:
        out += bytes(60 - len(out))
    return out


def load_defs(path):
    defs = {}
    if not path:
        return defs
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, sep, text = line.partition(":")
            if not sep:
                raise SystemExit(f"{path}:{n}: want 'NAME: layers'")
            defs[name.strip()] = parse_layers(text)
    return defs


def spec_line(line, defs, where):
    """Layers (and a repeat count) of one spec line."""
    if not line.startswith("="):
        return parse_layers(line), 1
    parts = line[1:].split("|")
    head, count = parts[0].strip(), 1
    if "*" in head:
        head, c = head.split("*", 1)
        head, count = head.strip(), int(c)
    if head not in defs:
        raise SystemExit(f"{where}: no frame named {head!r}")
    layers = [[n, dict(o)] for n, o in defs[head]]
    for mod in parts[1:]:
        (name, opts), = parse_layers(mod)
        for layer in layers:
            if layer[0] == name:
                layer[1].update(opts)
                break
        else:
            raise SystemExit(f"{where}: frame {head!r} has no {name} layer")
    return layers, count


def build_file(spec, defs_path):
    defs = load_defs(defs_path)
    frames = []
    with open(spec) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            try:
                layers, count = spec_line(line, defs, f"{spec}:{n}")
                frames += [build_frame(layers)] * count
            except (ValueError, KeyError) as e:
                raise SystemExit(f"{spec}:{n}: {e!r}")
    return frames


# ---- comparing -------------------------------------------------------------

def field_at(frame, off):
    """Name the header field holding byte off of an Ethernet frame."""
    pos, typ = 12, None
    if off < 6:
        return "eth.dst"
    if off < 12:
        return "eth.src"
    typ = struct.unpack("!H", frame[12:14])[0] if len(frame) >= 14 else 0
    if off < 14:
        return "eth.type"
    pos = 14
    while typ in (0x8100, 0x88A8) and len(frame) >= pos + 4:
        if off < pos + 2:
            return "vlan.tci"
        if off < pos + 4:
            return "vlan.type"
        typ = struct.unpack("!H", frame[pos + 2:pos + 4])[0]
        pos += 4
    if typ == 0x0800 and len(frame) >= pos + 20:
        names = ["ver/ihl", "tos", "len", "len", "id", "id", "frag", "frag", "ttl", "proto",
                 "csum", "csum"] + ["src"] * 4 + ["dst"] * 4
        ihl = (frame[pos] & 0xF) * 4
        if off < pos + 20:
            return "ipv4." + names[off - pos]
        if off < pos + ihl:
            return "ipv4.options"
        proto, pos = frame[pos + 9], pos + ihl
        l4 = {6: ("tcp", ["sport"] * 2 + ["dport"] * 2 + ["seq"] * 4 + ["ack"] * 4
                  + ["off", "flags"] + ["win"] * 2 + ["csum"] * 2 + ["urg"] * 2),
              17: ("udp", ["sport"] * 2 + ["dport"] * 2 + ["len"] * 2 + ["csum"] * 2),
              1: ("icmp", ["type", "code", "csum", "csum"])}.get(proto)
        if l4 and off < pos + len(l4[1]):
            return f"{l4[0]}.{l4[1][off - pos]}"
        return "payload"
    return "payload"


def diff(want_path, got_path, label):
    a, b = read_pcap(want_path)[1], read_pcap(got_path)[1]
    for i, ((_, fa), (_, fb)) in enumerate(zip(a, b)):
        if fa != fb:
            j = next((k for k in range(min(len(fa), len(fb))) if fa[k] != fb[k]),
                     min(len(fa), len(fb)))
            ws = f"{fa[j]:#04x}" if j < len(fa) else "end"
            gs = f"{fb[j]:#04x}" if j < len(fb) else "end"
            print(f"{label}: frame {i} differs at byte {j} ({field_at(fa, j)}): "
                  f"want {ws}, got {gs}; lengths {len(fa)} / {len(fb)}")
            print(f"  want {fa.hex()}\n  got  {fb.hex()}")
            return 1
    if len(a) != len(b):
        print(f"{label}: want {len(a)} frames, got {len(b)}"
              + (f"; first extra frame {b[len(a)][1].hex()}" if len(b) > len(a) else
                 f"; first missing frame {a[len(b)][1].hex()}"))
        return 1
    return 0


def diff_unordered(want_path, got_path, label):
    """Equal as multisets of frames: each wanted frame must be sent as often
    as it is wanted. Reports the first wanted frame without a partner and the
    closest unmatched frame that was sent instead."""
    a, b = read_pcap(want_path)[1], read_pcap(got_path)[1]
    left = [fb for _, fb in b]
    missing = []
    for i, (_, fa) in enumerate(a):
        if fa in left:
            left.remove(fa)
        else:
            missing.append((i, fa))
    if not missing and not left:
        return 0
    if missing:
        i, fa = missing[0]
        print(f"{label}: wanted frame {i} was not sent ({len(missing)} missing, "
              f"{len(left)} unexpected; {len(a)} wanted, {len(b)} sent)")
        if left:
            def common(fb):
                return next((k for k in range(min(len(fa), len(fb))) if fa[k] != fb[k]),
                            min(len(fa), len(fb)))
            fb = max(left, key=common)
            j = common(fb)
            ws = f"{fa[j]:#04x}" if j < len(fa) else "end"
            gs = f"{fb[j]:#04x}" if j < len(fb) else "end"
            print(f"  closest frame sent differs at byte {j} ({field_at(fa, j)}): "
                  f"want {ws}, got {gs}; lengths {len(fa)} / {len(fb)}")
            print(f"  want {fa.hex()}\n  got  {fb.hex()}")
        else:
            print(f"  want {fa.hex()}")
    else:
        print(f"{label}: {len(left)} unexpected frame(s) sent ({len(a)} wanted, {len(b)} sent); "
              f"first {left[0].hex()}")
    return 1


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
    elif cmd == "build":
        args, defs = argv[2:], None
        if "--frames" in args:
            i = args.index("--frames")
            defs = args[i + 1]
            del args[i:i + 2]
        if not args or len(args) % 2:
            raise SystemExit("build: want SPEC OUT pairs")
        for spec, out in zip(args[::2], args[1::2]):
            write_pcap(out, build_file(spec, defs))
    elif cmd == "dump":
        for i, (_, fr) in enumerate(read_pcap(argv[2])[1]):
            print(f"{i}: {fr.hex()}")
    elif cmd == "diff":
        label = argv[argv.index("--label") + 1] if "--label" in argv else argv[3]
        if "--unordered" in argv:
            return diff_unordered(argv[2], argv[3], label)
        return diff(argv[2], argv[3], label)
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
