# flowlane: make wraps meson. Build trees live in build/<kind>.
#
#   make            release build (-O2)            build/release
#   make debug      debug build (-O0 -g)           build/debug
#   make san        AddressSanitizer + UBSan       build/san
#   make test       install deps, build release and sanitizer trees, run every
#                   test in both, and a short fuzz run of every fuzz target
#   make demo       install deps, build, and run the daemon between network
#                   namespaces (ping, iperf3, flowctl); as root (scripts/demo.sh)
#   make fuzz       longer fuzz runs (FUZZ_TIME seconds per target, default 600)
#   make bench      flowlane-bench, all scenarios
#   make clean
SHELL := /bin/bash
MESON ?= meson
FUZZ_TIME ?= 600
FUZZ_SHORT ?= 20
FUZZ_TARGETS := fuzz_parse fuzz_flow fuzz_json fuzz_pcapng fuzz_gso

.PHONY: all release debug san fuzz-build test demo fuzz bench deps clean

all: release

deps:
	@scripts/deps.sh

build/release/build.ninja:
	$(MESON) setup build/release --buildtype=release -Doptimization=2
build/debug/build.ninja:
	$(MESON) setup build/debug --buildtype=debug
build/san/build.ninja:
	$(MESON) setup build/san --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
build/fuzz/build.ninja:
	CC=clang $(MESON) setup build/fuzz --buildtype=debug -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false

release: build/release/build.ninja
	ninja -C build/release
debug: build/debug/build.ninja
	ninja -C build/debug
san: build/san/build.ninja
	ninja -C build/san
fuzz-build: build/fuzz/build.ninja
	ninja -C build/fuzz

test: deps
	$(MAKE) release san fuzz-build
	$(MESON) test -C build/release --print-errorlogs || \
		{ scripts/failed-tests.py build/release; exit 1; }
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		$(MESON) test -C build/san --print-errorlogs || \
		{ scripts/failed-tests.py build/san; exit 1; }
	@for t in $(FUZZ_TARGETS); do \
		scripts/fuzz.sh build/fuzz $$t $(FUZZ_SHORT) || exit 1; \
	done
	@echo "make test: all test suites passed"

demo: deps
	$(MAKE) release
	scripts/demo.sh build/release

fuzz: deps fuzz-build
	@for t in $(FUZZ_TARGETS); do scripts/fuzz.sh build/fuzz $$t $(FUZZ_TIME) || exit 1; done

bench: release
	build/release/bench/flowlane-bench

clean:
	rm -rf build
