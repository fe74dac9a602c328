# flowkit - one POSIX-ish Makefile (GNU make), no autotools.
#
#   make            build the tools into build/
#   make check      run the test suite twice: plain, then under ASan+UBSan
#   make fuzz       build the libFuzzer harnesses (clang) and run each briefly
#   make bench      benchmarks (see scripts/bench.sh)
#   make install    PREFIX=/usr/local DESTDIR= (tools, man pages, label maps, the
#                   Python package in PYDIR; DATADIR is compiled into the tools)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
# The label maps and examples; the tools look a map name up in DATADIR/labels.
DATADIR ?= $(PREFIX)/share/flowkit
# The Python package (python/flowkit), importable with PYTHONPATH=$(PYDIR).
PYDIR ?= $(PREFIX)/lib/python3/dist-packages
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS = libpcap jansson libcrypto libpng zlib libzstd liblzma

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(CI),true)
WARN += -Werror
endif
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(CFLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS)) -Icommon
LDLIBS = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm -pthread

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

# label.o holds DATADIR: rebuilt when the value changes (the stamp holds it).
$(B)/datadir.stamp: FORCE | $(B)/common
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' > $@
$(B)/common/label.o: $(B)/datadir.stamp
$(B)/common/label.o: ALL_CFLAGS += -DFK_DATADIR='"$(DATADIR)"'

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
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread $(shell $(PKG_CONFIG) --cflags $(PKGS)) -Icommon
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

LABEL_FILES = $(sort $(wildcard scripts/labels/*))
EXAMPLES = $(sort $(wildcard python/examples/*))
PY_SRC = $(sort $(wildcard python/flowkit/*.py))

install: $(TOOL_BIN)
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	for t in $(TOOLS); do install -m 755 $(B)/$$t $(DESTDIR)$(BINDIR)/$$t; done
	for m in $(MANPAGES); do s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	mkdir -p $(DESTDIR)$(DATADIR)/labels $(DESTDIR)$(DATADIR)/examples $(DESTDIR)$(PYDIR)/flowkit
	for f in $(LABEL_FILES); do install -m 644 $$f $(DESTDIR)$(DATADIR)/labels/; done
	for f in $(EXAMPLES); do install -m 644 $$f $(DESTDIR)$(DATADIR)/examples/; done
	for f in $(PY_SRC); do install -m 644 $$f $(DESTDIR)$(PYDIR)/flowkit/; done
	printf '"""Paths set by make install."""\nDATADIR = "%s"\n' '$(DATADIR)' > $(DESTDIR)$(PYDIR)/flowkit/_paths.py
	@echo "flowkit: Python package in $(DESTDIR)$(PYDIR) (PYTHONPATH=$(DESTDIR)$(PYDIR))"

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(BINDIR)/$$t; done
	for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	for f in $(LABEL_FILES); do rm -f $(DESTDIR)$(DATADIR)/labels/$${f##*/}; done
	for f in $(EXAMPLES); do rm -f $(DESTDIR)$(DATADIR)/examples/$${f##*/}; done
	for f in $(PY_SRC); do rm -f $(DESTDIR)$(PYDIR)/flowkit/$${f##*/}; done
	rm -rf $(DESTDIR)$(PYDIR)/flowkit/__pycache__
	-rmdir $(DESTDIR)$(PYDIR)/flowkit $(DESTDIR)$(DATADIR)/labels $(DESTDIR)$(DATADIR)/examples $(DESTDIR)$(DATADIR) 2>/dev/null

clean:
	rm -rf build build-asan build-fuzz

.DELETE_ON_ERROR:
.PHONY: all check check-quick fuzz bench lint-man install uninstall clean FORCE
.SECONDARY:
