#!/usr/bin/env bash
# e2e: ports added and removed while the switch runs, and an interface
# deleted under the switch (afpacket ports, NORMAL).
#   - ns3 is not on the switch: no ping; add-port p3: ping works; del-port
#     p3: no ping again, show no longer lists it, ns1 <-> ns2 unaffected;
#   - the veth of p2 is deleted: p2 goes down (show), the daemon keeps
#     running and keeps switching ns1 <-> ns3; the veth is recreated with
#     the same name: p2 comes back up by itself and ns1 <-> ns2 works again.
#   ports_runtime.sh BUILD_DIR|FLOWLANE
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_cmd ip ping timeout
e2e_init "${1:?usage: $0 BUILD_DIR}"
e2e_need_daemon
e2e_topo 3
fl_start
fl_add_ports 2
fctl add-flow "actions=NORMAL" >/dev/null || fail "add-flow actions=NORMAL"
wait_ping 1 2 15 || fail "no ping ns1 -> ns2 within 15 s"

say "ns3 is not on the switch"
ping_fails 1 3 || fail "ping ns1 -> ns3 works before ns3 has a port"

say "add-port p3 at run time"
fctl add-port p3@3 "afpacket:${RIF[3]}" >/dev/null || fail "add-port p3"
wait_ping 1 3 10 || fail "no ping ns1 -> ns3 within 10 s of add-port"
port_up p3 || fail "show does not list p3 as up"

say "del-port p3 at run time"
fctl del-port p3 >/dev/null || fail "del-port p3"
ping_fails 1 3 || fail "ping ns1 -> ns3 still works after del-port"
! ports_snapshot | grep -q '^p3 ' || fail "show still lists p3 after del-port"
ping_ok 1 2 || fail "ping ns1 -> ns2 after del-port p3"

say "the interface of p2 is deleted under the switch"
fctl add-port p3@3 "afpacket:${RIF[3]}" >/dev/null || fail "add-port p3 again"
wait_ping 1 3 10 || fail "no ping ns1 -> ns3 after re-adding p3"
changes0=$(fctl_json '[p for p in r["ports"] if p["name"] == "p2"][0].get("link_changes", 0)' show)
e2e_del_link 2
wait_until 10 eval '! port_up p2' || fail "p2 is still up 10 s after its interface was deleted"
fl_alive || fail "the daemon died when an interface was deleted under it"
ping_ok 1 3 || fail "ping ns1 -> ns3 while p2's interface is gone"
fctl show >/dev/null || fail "flowctl show fails while p2's interface is gone"

say "the interface comes back: so does p2"
e2e_add_ns 2
wait_until 15 port_up p2 || fail "p2 did not come back up within 15 s of its interface"
wait_ping 1 2 10 || fail "no ping ns1 -> ns2 after the interface came back"
changes1=$(fctl_json '[p for p in r["ports"] if p["name"] == "p2"][0].get("link_changes", 0)' show)
[ "$changes1" -ge $((changes0 + 2)) ] || fail "p2's link_changes went from $changes0 to $changes1, want +2"
ping_ok 1 3 || fail "ping ns1 -> ns3 at the end"
fl_alive || fail "the daemon died"
echo "PASS: ports_runtime"
