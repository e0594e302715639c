# rescue: offline boot-recovery toolkit.
#
#   make                build librescue.a and the rescue CLI into $(BUILD)/
#   make check          every test tier (unit+fixtures under ASan/UBSan, loop, vm)
#   make check-unit     unit and fixture tests only (any user)
#   make demo           break, repair and undo a copy of a cached demo disk holding a real Debian install
#   make iso            the rescue medium, build/rescue.iso (root; docs/medium.md)
#   make pxe            a TFTP root for network boot, build/pxe/ (root)
#   make demo-vm        boot the rescue medium in QEMU beside a broken demo machine
#   make fuzz           run every libFuzzer target for FUZZ_SECONDS each
#   make install        install into $(DESTDIR)$(PREFIX)
#   make deps           install the Debian packages everything needs (root)
#
# BUILD selects the output directory, so several builds (plain, sanitizer,
# fuzz) live side by side and never in the source tree's own folders.

BUILD ?= build
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
CC ?= cc
SANITIZE ?=
FUZZ_SECONDS ?= 60
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1)

PKGS := blkid mount libcryptsetup devmapper libkmod json-c libselinux \
	zlib liblzma libzstd liblz4 lzo2 ncursesw
PKG_OK := $(shell pkg-config --exists $(PKGS) && echo yes)
ifneq ($(PKG_OK),yes)
  ifeq ($(filter deps clean check demo demo-vm check-loop check-vm iso pxe,$(MAKECMDGOALS)),)
    $(error missing development packages ($(shell for p in $(PKGS); do pkg-config --exists $$p || printf '%s ' $$p; done)): run 'make deps' as root)
  endif
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lbz2

WARN := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	-Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -fno-strict-aliasing \
	-Irescue/include -Irescue/shared -Irescue/lib $(PKG_CFLAGS) \
	-DRESCUE_VERSION='"$(VERSION)"' -MMD -MP
ifneq ($(SANITIZE),)
  ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRCS := $(sort $(wildcard rescue/shared/*.c rescue/lib/*.c chroot-helpers/*.c))
# The wizard (tui/) is part of the rescue binary.
CLI_SRCS := $(sort $(wildcard rescue/cli/*.c)) $(sort $(wildcard tui/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test-*.c))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz-*.c))
PROFILES := $(sort $(wildcard profiles/*.conf))

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/gen/profiles.o
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all check check-unit check-loop check-vm demo fuzz install deps clean rescue-image iso pxe demo-vm bench
all: $(BUILD)/rescue

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# Profiles are data files; the binary carries a copy so the rescue medium
# needs nothing beside it, and --profiles DIR overrides them.
$(BUILD)/gen/profiles.c: $(PROFILES) tools/embed-profiles.sh
	@mkdir -p $(@D)
	sh tools/embed-profiles.sh $(PROFILES) > $@.tmp && mv $@.tmp $@
$(BUILD)/gen/profiles.o: $(BUILD)/gen/profiles.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/librescue.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/rescue: $(CLI_OBJS) $(BUILD)/librescue.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/librescue.a $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/librescue.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DFIXTURES='"$(CURDIR)/tests/fixtures"' $(LDFLAGS) -o $@ $< \
		$(BUILD)/librescue.a $(PKG_LIBS) -lcmocka

# The sanitizer build is a second build directory, so it never mixes
# objects with the plain one.
check-unit:
	$(MAKE) BUILD=build/asan SANITIZE=1 build/asan/rescue $(UNIT_SRCS:tests/unit/%.c=build/asan/tests/%)
	RESCUE_BUILD=build/asan tests/run.sh unit

# These re-invoke make for the build, so "make deps check" works on a fresh
# machine: the package probes above ran before deps installed anything.
check-loop:
	$(MAKE) all
	RESCUE_BUILD=$(BUILD) tests/run.sh loop

check-vm:
	$(MAKE) all
	RESCUE_BUILD=$(BUILD) tests/run.sh vm

check:
	$(MAKE) all
	$(MAKE) BUILD=build/asan SANITIZE=1 build/asan/rescue $(UNIT_SRCS:tests/unit/%.c=build/asan/tests/%)
	RESCUE_BUILD=build/asan RESCUE_PLAIN_BUILD=$(BUILD) tests/run.sh unit loop vm

demo:
	$(MAKE) all
	RESCUE_BUILD=$(BUILD) tests/demo.sh

demo-vm:
	$(MAKE) all
	RESCUE_BUILD=$(BUILD) tests/demo-vm.sh

bench: all
	for b in bench/*.sh; do RESCUE_BUILD=$(BUILD) $$b || exit 1; done

# libFuzzer targets: every tests/fuzz/fuzz-NAME.c is linked with all the
# library sources and the generated profiles table, built by clang with
# -fsanitize=fuzzer,address,undefined into FUZZ_DIR (library objects once,
# shared by the targets). UBSan findings abort, so the fuzzer sees them.
# 'make fuzz-build' only builds; tests/unit/fuzz-smoke.sh uses it.
FUZZ_DIR ?= build/fuzz
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -Irescue/include -Irescue/shared -Irescue/lib \
	$(PKG_CFLAGS) -DRESCUE_VERSION='"$(VERSION)"' -MMD -MP \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o) $(FUZZ_DIR)/obj/gen/profiles.o
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_DIR)/%)
.PHONY: fuzz-build
# Named only by a pattern rule, the objects would count as intermediate
# and be deleted after each link.
.SECONDARY: $(FUZZ_LIB_OBJS)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -c $< -o $@
$(FUZZ_DIR)/obj/gen/profiles.o: $(BUILD)/gen/profiles.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -c $< -o $@
$(FUZZ_DIR)/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_LIB_OBJS)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB_OBJS) -o $@ $(PKG_LIBS)

fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

install: all
	install -D -m 0755 $(BUILD)/rescue $(DESTDIR)$(SBINDIR)/rescue
	install -D -m 0644 docs/rescue.8 $(DESTDIR)$(MANDIR)/man8/rescue.8
	install -d $(DESTDIR)$(DATADIR)/rescue/profiles
	install -m 0644 $(PROFILES) $(DESTDIR)$(DATADIR)/rescue/profiles/

rescue-image: all
	$(MAKE) -C iso rescue-image BUILD=$(abspath $(BUILD))

iso: all
	$(MAKE) -C iso iso BUILD=$(abspath $(BUILD))

pxe: all
	$(MAKE) -C iso pxe BUILD=$(abspath $(BUILD))

deps:
	sh tools/install-deps.sh

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
