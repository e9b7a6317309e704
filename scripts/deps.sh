#!/usr/bin/env bash
# Install the Debian packages flowlane needs to build, test, run the demo and
# benchmark. Installs only what is missing; as root it runs apt-get (updating
# the package lists once), otherwise it says what is missing and how to get it.
#
#   scripts/deps.sh            build + test packages
#   scripts/deps.sh --bench    also the peers the benchmarks compare against
set -euo pipefail

pkgs=(
	gcc make pkg-config meson ninja-build python3
	libpcap-dev libcmocka-dev liburcu-dev
	clang libclang-rt-14-dev   # libFuzzer and the sanitizer runtimes for fuzzing
	libxdp-dev libbpf-dev      # AF_XDP ports
	iproute2 iputils-ping ethtool iperf3 procps   # namespaces, veths and traffic for e2e tests and the demo
)
if [[ "${1:-}" == "--bench" ]]; then
	pkgs+=(dpdk-dev librte-net-pcap23 librte-net-null23 librte-mempool-ring23 valgrind)
fi

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
	echo "flowlane: missing Debian packages: ${missing[*]}" >&2
	echo "flowlane: install them as root: apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "flowlane: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
