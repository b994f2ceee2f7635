# SPDX-License-Identifier: GPL-2.0
#
# rund top-level Makefile. `make help` lists the targets.
#
#   make                  userspace tools + module/rund_cgpool.ko against $(KDIR)
#   make KDIR=build/linux the same against our patched kernel (after `make kernel`)

# Debian's headers for the newest installed linux-headers-*-amd64 (the stock guest kernel).
KDIR ?= $(lastword $(sort $(wildcard /usr/src/linux-headers-6.1.*-amd64)))
BUILD ?= $(CURDIR)/build
export RUND_CACHE ?= $(HOME)/.cache/rund

# Userspace parts that exist so far; each has its own Makefile honouring BUILD.
USER_DIRS := $(patsubst %/Makefile,%,$(wildcard helper/Makefile prepatch-tool/Makefile \
	tools/cglat/Makefile))

.PHONY: all userspace module kernel kernel-debug guest-kernel deps selftests check check-tier1 check-all \
	stress demo bench clean help

all: userspace module

help:
	@echo "make [all]        userspace ($(or $(USER_DIRS),none yet)) + module against KDIR=$(KDIR)"
	@echo "make deps         install the Debian packages rund needs (apt-get)"
	@echo "make kernel       build (or reuse) the patched test kernel -> build/linux"
	@echo "make kernel-debug the lockdep/KASAN/kmemleak variant -> build/linux-debug"
	@echo "make guest-kernel the streamlined microVM guest (guest-kconfig/rund-guest.config)"
	@echo "                  -> build/guest-kernel/{vmlinux,bzImage}; test: guest-kconfig/test/run.sh"
	@echo "make selftests    static test binaries for the guests -> build/selftests"
	@echo "make check        all tests: host unit tests + guest suites (TAP summary)"
	@echo "make check-tier1  the same without the debug-kernel tier"
	@echo "make check-all    the same plus tier 3 (6.1's debug kernel, the 6.12 rund-guest kernel)"
	@echo "make stress       the long pool stresses (64 x 10,000 cycles, 100k-op name race,"
	@echo "                  2000-round reap race; hours of TCG; STRESS_CYCLES/STRESS_OPS/"
	@echo "                  STRESS_REAP_ROUNDS/STRESS_SUITES) -> build/stress"
	@echo "make demo         boot a guest, start 200 sandboxes through the pool vs mkdir"
	@echo "make bench        bench/run provision + density (BENCH='provision density'; smoke;"
	@echo "                  RUND_BENCH_QUICK=1 for a short run) -> bench/results/"

userspace:
	@for d in $(USER_DIRS); do $(MAKE) -C $$d BUILD=$(BUILD)/$$d || exit 1; done

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "make: KDIR '$(KDIR)' is not a kernel build dir (make deps, or KDIR=...)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

deps:
	scripts/deps.sh

kernel:
	scripts/kernel/build.sh test

kernel-debug:
	scripts/kernel/build.sh debug

# tinyconfig + guest-kconfig/rund-guest.config, cached by config hash (see its header)
guest-kernel:
	guest-kconfig/merge.sh rund build

selftests:
	$(MAKE) -C selftests O=$(BUILD)/selftests

check:
	scripts/check

check-tier1:
	RUND_TIERS=1 scripts/check

check-all:
	RUND_TIERS="1 2 3" scripts/check

stress:
	scripts/stress

demo:
	scripts/demo

# bench/run boots the stock and the patched kernel per benchmark (see its header)
BENCH ?= provision density
bench:
	@for b in $(BENCH); do bench/run $$b || exit 1; done

clean:
	@test -z "$(KDIR)" -o ! -d "$(KDIR)" || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	@for d in $(USER_DIRS); do $(MAKE) -C $$d BUILD=$(BUILD)/$$d clean; done
	rm -rf $(BUILD)/selftests $(BUILD)/mod $(BUILD)/payload $(BUILD)/logs
