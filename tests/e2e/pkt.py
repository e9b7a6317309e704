#!/usr/bin/env python3
"""Traffic tools for the end-to-end tests, independent of flowlane's code.

  pkt.py sniff IFACE SECONDS [--count N] [--ready FILE]
      Print one line per frame the interface receives (AF_PACKET, incoming
      only): "dst=MAC src=MAC vlan=VID|- type=0xTTTT [ip SRC > DST proto P
      [sport S dport D]] len=N". The VLAN tag comes from the kernel's packet
      auxdata when it was stripped into skb metadata (veth does that).
  pkt.py recv PORT SECONDS [--count N] [--ready FILE]
      UDP listener on 0.0.0.0:PORT: one line per datagram "from SRC:SPORT
      to DST payload TEXT" (DST from IP_PKTINFO: the address the packet was
      really sent to, so a rewritten nw_dst is visible).
  pkt.py send DST PORT COUNT [--interval S] [--payload TEXT] [--sport P]
      COUNT UDP datagrams to DST:PORT.
  pkt.py raw IFACE DST_MAC SRC_MAC COUNT [--vlan VID] [--src IP] [--dst IP]
             [--dport P] [--payload TEXT]
      COUNT raw IPv4/UDP frames (default 10.77.0.250 -> 10.77.0.251, port 9)
      with the given MACs, 10 ms apart, optionally 802.1Q-tagged: for
      unknown-unicast flooding and VLAN checks.

--ready FILE is created once the socket is bound, so a caller can wait for it
instead of sleeping. Every mode stops by itself after SECONDS or COUNT.
"""
import argparse
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 1 << 4
IP_PKTINFO = 8


def mac(b):
    return ":".join("%02x" % x for x in b)


def ready(path):
    if path:
        with open(path, "w") as f:
            f.write("ready\n")


def describe(frame, vlan):
    if len(frame) < 14:
        return "short len=%d" % len(frame)
    dst, src = mac(frame[0:6]), mac(frame[6:12])
    etype = struct.unpack("!H", frame[12:14])[0]
    off = 14
    if etype in (0x8100, 0x88A8) and len(frame) >= 18:
        vlan = struct.unpack("!H", frame[14:16])[0] & 0xFFF
        etype = struct.unpack("!H", frame[16:18])[0]
        off = 18
    s = "dst=%s src=%s vlan=%s type=0x%04x" % (dst, src, "-" if vlan is None else vlan, etype)
    if etype == 0x0800 and len(frame) >= off + 20:
        ihl = (frame[off] & 15) * 4
        proto = frame[off + 9]
        s += " ip %s > %s proto %d" % (socket.inet_ntoa(frame[off + 12:off + 16]),
                                      socket.inet_ntoa(frame[off + 16:off + 20]), proto)
        l4 = off + ihl
        if proto in (6, 17) and len(frame) >= l4 + 4:
            sp, dp = struct.unpack("!HH", frame[l4:l4 + 4])
            s += " sport %d dport %d" % (sp, dp)
    elif etype == 0x0806 and len(frame) >= off + 28:
        s += " arp op %d %s > %s" % (struct.unpack("!H", frame[off + 6:off + 8])[0],
                                     socket.inet_ntoa(frame[off + 14:off + 18]),
                                     socket.inet_ntoa(frame[off + 24:off + 28]))
    return s + " len=%d" % len(frame)


def sniff(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((a.iface, 0))
    ready(a.ready)
    end = time.monotonic() + a.seconds
    n = 0
    while n < a.count:
        left = end - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            break
        data, anc, _flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(20))
        if addr[2] == PACKET_OUTGOING:
            continue
        vlan = None
        for level, typ, val in anc:
            if level == SOL_PACKET and typ == PACKET_AUXDATA and len(val) >= 20:
                status, _l, _sl, _mac, _net, tci = struct.unpack("IIIHHH", val[:18])
                if status & TP_STATUS_VLAN_VALID:
                    vlan = tci & 0xFFF
        print(describe(data, vlan), flush=True)
        n += 1


def recv(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    s.bind(("0.0.0.0", a.port))
    ready(a.ready)
    end = time.monotonic() + a.seconds
    n = 0
    while n < a.count:
        left = end - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            break
        data, anc, _flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(12))
        dst = "?"
        for level, typ, val in anc:
            if level == socket.IPPROTO_IP and typ == IP_PKTINFO and len(val) >= 12:
                dst = socket.inet_ntoa(val[8:12])
        print("from %s:%d to %s payload %s" % (addr[0], addr[1], dst,
                                               data.decode("ascii", "replace")), flush=True)
        n += 1


def send(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if a.sport:
        s.bind(("0.0.0.0", a.sport))
    for i in range(a.count):
        s.sendto(("%s %d" % (a.payload, i)).encode(), (a.dst, a.port))
        if a.interval:
            time.sleep(a.interval)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


def raw(a):
    payload = a.payload.encode()
    udp = struct.pack("!HHHH", 9, a.dport, 8 + len(payload), 0) + payload
    src, dst = socket.inet_aton(a.src), socket.inet_aton(a.dst)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex(a.dst_mac.replace(":", "")) + bytes.fromhex(a.src_mac.replace(":", ""))
    if a.vlan is not None:
        eth += struct.pack("!HH", 0x8100, a.vlan)
    frame = eth + b"\x08\x00" + ip + udp
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    for _ in range(a.count):
        s.send(frame)
        time.sleep(0.01)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    q = sub.add_parser("sniff")
    q.add_argument("iface")
    q.add_argument("seconds", type=float)
    q.add_argument("--count", type=int, default=1 << 30)
    q.add_argument("--ready")
    q = sub.add_parser("recv")
    q.add_argument("port", type=int)
    q.add_argument("seconds", type=float)
    q.add_argument("--count", type=int, default=1 << 30)
    q.add_argument("--ready")
    q = sub.add_parser("send")
    q.add_argument("dst")
    q.add_argument("port", type=int)
    q.add_argument("count", type=int)
    q.add_argument("--interval", type=float, default=0.002)
    q.add_argument("--payload", default="flowlane")
    q.add_argument("--sport", type=int, default=0)
    q = sub.add_parser("raw")
    q.add_argument("iface")
    q.add_argument("dst_mac")
    q.add_argument("src_mac")
    q.add_argument("count", type=int)
    q.add_argument("--vlan", type=int)
    q.add_argument("--src", default="10.77.0.250")
    q.add_argument("--dst", default="10.77.0.251")
    q.add_argument("--dport", type=int, default=9)
    q.add_argument("--payload", default="flowlane-e2e-flood")
    a = p.parse_args()
    {"sniff": sniff, "recv": recv, "send": send, "raw": raw}[a.mode](a)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        os._exit(0)
