# flowkit - one POSIX-ish Makefile (GNU make), no autotools.
#
#   make            build the tools into build/
#   make check      run the test suite twice: plain, then under ASan+UBSan
#   make fuzz       build the libFuzzer harnesses (clang) and run each briefly
#   make bench      benchmarks (see scripts/bench.sh)
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS = libpcap jansson libcrypto libpng zlib libzstd liblzma

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(CI),true)
WARN += -Werror
endif
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS)) -Icommon
LDLIBS = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm

B ?= build
COMMON_SRC = $(sort $(wildcard common/*.c))
COMMON_OBJ = $(COMMON_SRC:common/%.c=$(B)/common/%.o)
TOOLS = $(sort $(basename $(notdir $(wildcard cmd/*.c))))
TOOL_BIN = $(TOOLS:%=$(B)/%)
UNIT_SRC = $(sort $(wildcard tests/unit/*.c))
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
MANPAGES = $(wildcard man/*.[157])

SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Test builds of tools with their test-only hooks (never installed).
HOOK_BIN = $(B)/hooks/flow-idx

# The fuzz harnesses with a plain main (tests/replay/replay.c), so that
# `make check` replays their corpora with any compiler (tests/replay.t).
FUZZ_SRC = $(sort $(wildcard tests/fuzz/*.c))
REPLAY_BIN = $(FUZZ_SRC:tests/fuzz/%.c=$(B)/replay/%)

all: $(TOOL_BIN) $(UNIT_BIN) $(HOOK_BIN) $(REPLAY_BIN)

$(B)/common/%.o: common/%.c common/*.h | $(B)/common
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libflowkit.a: $(COMMON_OBJ)
	rm -f $@
	ar rcs $@ $(COMMON_OBJ)

$(B)/%: cmd/%.c $(B)/libflowkit.a common/*.h
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libflowkit.a $(LDFLAGS) $(LDLIBS)

$(B)/unit/%: tests/unit/%.c $(B)/libflowkit.a common/*.h | $(B)/unit
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libflowkit.a $(LDFLAGS) $(LDLIBS)

# flow-idx with its crash points (FK_IDX_CRASH), for tests/flow-idx.t.
$(B)/hooks/flow-idx: cmd/flow-idx.c $(B)/libflowkit.a common/*.h | $(B)/hooks
	$(CC) $(ALL_CFLAGS) -DFK_TEST_HOOKS -o $@ $< $(B)/libflowkit.a $(LDFLAGS) $(LDLIBS)

$(B)/replay/%: tests/fuzz/%.c tests/replay/replay.c $(B)/libflowkit.a common/*.h | $(B)/replay
	$(CC) $(ALL_CFLAGS) -o $@ $< tests/replay/replay.c $(B)/libflowkit.a $(LDFLAGS) $(LDLIBS)

$(B)/common $(B)/unit $(B)/hooks $(B)/replay:
	mkdir -p $@

# The suite runs against the binaries in FK_BIN.
check: all lint-man
	$(MAKE) B=build-asan CFLAGS="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" all
	FK_BIN=$(CURDIR)/build prove -f tests/*.t
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	FK_BIN=$(CURDIR)/build-asan FK_SANITIZED=1 prove -f tests/*.t

# Only the plain run, for a quick look.
check-quick: all
	FK_BIN=$(CURDIR)/build prove -f tests/*.t

FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_SECONDS ?= 20
FUZZ_SAN = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE $(shell $(PKG_CONFIG) --cflags $(PKGS)) -Icommon
# The library is compiled once with coverage (fuzzer-no-link), each harness
# is linked against it: one compile of common/ however many harnesses.
FUZZ_OBJ = $(COMMON_SRC:common/%.c=build-fuzz/obj/%.o)
build-fuzz/obj/%.o: common/%.c common/*.h
	@mkdir -p build-fuzz/obj
	clang $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<
build-fuzz/libflowkit.a: $(FUZZ_OBJ)
	rm -f $@
	ar rcs $@ $(FUZZ_OBJ)
build-fuzz/%: tests/fuzz/%.c build-fuzz/libflowkit.a common/*.h
	clang $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< build-fuzz/libflowkit.a $(LDLIBS)
fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
		n=$$(basename $$f); mkdir -p build-fuzz/corpus-$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -max_len=65536 build-fuzz/corpus-$$n tests/fuzz/seeds/$$n \
			>build-fuzz/$$n.log 2>&1 || { tail -n 40 build-fuzz/$$n.log; exit 1; }; \
	done

bench: all
	CC="$(CC)" B="$(B)" sh scripts/bench.sh

lint-man:
	mandoc -Tlint -W warning $(MANPAGES)

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	for t in $(TOOLS); do install -m 755 $(B)/$$t $(DESTDIR)$(BINDIR)/$$t; done
	for m in $(MANPAGES); do s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(BINDIR)/$$t; done
	for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done

clean:
	rm -rf build build-asan build-fuzz

.DELETE_ON_ERROR:
.PHONY: all check check-quick fuzz bench lint-man install uninstall clean
.SECONDARY:
