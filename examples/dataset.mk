# dataset.mk - a data set from a directory of captures, one job per capture.
#
#   make -f examples/dataset.mk CAPTURES=dir OUT=dir [MAP=file.map] [FLOWKIT=bindir] -j8
#
# Every capture under CAPTURES (the names pcap-flows(1) reads in a
# directory: .pcap, .pcapng, .pcap.ng, .cap, each alone or followed by .gz,
# .zst or .xz) becomes its own stream, OUT/flows/NAME.flows, made by one
# pcap-flows job: these are the jobs that run in parallel, and a capture
# that changes remakes only its own stream.  The streams are then
# concatenated, in the order pcap-flows reads a directory (depth first,
# names sorted byte by byte), into OUT/all.flows, from which come
#
#   OUT/idx-*        the IDX data set of flow-idx(1)       (OUT/idx.done)
#   OUT/pic-*        the FlowPic arrays of flow-pic(1)     (OUT/pic.done)
#   OUT/features.csv the features of flow-stats(1)
#
# The .done files are stamps: a tool writes a set of files, whose names
# depend on its options (--split), and the stamp says the set is complete.
# Every tool writes through a temporary file renamed when complete, and so
# does the concatenation here: a failed or interrupted run leaves no
# half-written output.  The outputs do not depend on -j: the same inputs
# and variables give the same bytes.  Since the command lines are kept in
# the streams' headers (provenance), run with the same CAPTURES, OUT, MAP
# spelling to get the same bytes in two places.
#
# Variables:
#   CAPTURES   the directory of captures (required)
#   OUT        the output directory (required)
#   FLOWKIT    the directory of the flowkit programs (default: from PATH)
#   MAP        keyword map(s) for pcap-flows -L, such as
#              scripts/labels/iscx-vpn2016.map; without MAP each capture
#              is labelled by the name of its directory (--label-dir)
#   LABEL_OPTS what labels the flows, instead of MAP (e.g. "-l web", or empty)
#   CLASSES    a class file for flow-idx and flow-pic -c (optional)
#   PCAP_FLOWS_OPTS, IDX_OPTS, PIC_OPTS, STATS_OPTS
#              more options of each tool (default none)
#
# Targets: all (the default), flows, idx, pic, stats, list, clean.
# File names with blanks, ':', '%', '#' or '$' cannot be make targets: they
# are refused; rename them, or use examples/slurm/ or GNU parallel
# (flowkit(7), DATASETS AT SCALE).

SHELL = /bin/sh
MAKEFLAGS += --no-builtin-rules
.SUFFIXES:
.DELETE_ON_ERROR:

FLOWKIT ?=
MAP ?=
CLASSES ?=
PCAP_FLOWS_OPTS ?=
IDX_OPTS ?=
PIC_OPTS ?=
STATS_OPTS ?=
LABEL_OPTS ?= $(if $(MAP),$(foreach m,$(MAP),-L $(m)),--label-dir)

ifeq ($(strip $(CAPTURES)),)
$(error CAPTURES=dir is required: the directory of captures)
endif
ifeq ($(strip $(OUT)),)
$(error OUT=dir is required: where the flows and the data set go)
endif

EMPTY :=
SPACE := $(EMPTY) $(EMPTY)
define NL


endef

C := $(patsubst %/,%,$(CAPTURES))
O := $(patsubst %/,%,$(OUT))
bin = $(if $(FLOWKIT),$(patsubst %/,%,$(FLOWKIT))/)$(1)

# The captures, as paths below C, in pcap-flows' directory order: sorting
# with '/' turned into \001 sorts a path component by component.  Files and
# links to files count, links to directories are not followed.
EXTS := pcap pcapng cap pcap.ng
NAME_TESTS := $(foreach e,$(EXTS),$(foreach z,$(e) $(e).gz $(e).zst $(e).xz,-o -iname '?*.$(z)'))
FIND = cd '$(C)' && find . \( -type f -o -type l -xtype f \) \( -false $(NAME_TESTS) \) | sed 's|^\./||'
REL := $(shell $(FIND) | tr / '\001' | LC_ALL=C sort | tr '\001' /)
BAD := $(shell $(FIND) | grep '[[:space:]:%\#$$]' | head -n 1)

ifneq ($(BAD),)
$(error $(C)/$(BAD): a file name with a blank, ':', '%', '#' or '$$' cannot be a make target)
endif
ifeq ($(REL),)
$(error $(C): no capture files in this directory)
endif

FLOWS := $(REL:%=$(O)/flows/%.flows)
PCAP_FLOWS = $(strip $(call bin,pcap-flows) $(LABEL_OPTS) $(PCAP_FLOWS_OPTS))
FLOW_IDX = $(strip $(call bin,flow-idx) -q $(CLASS_OPT) $(IDX_OPTS))
FLOW_PIC = $(strip $(call bin,flow-pic) -q $(CLASS_OPT) $(PIC_OPTS))
FLOW_STATS = $(strip $(call bin,flow-stats) $(STATS_OPTS))
CLASS_OPT := $(if $(CLASSES),-c $(CLASSES))

all: idx pic stats
flows: $(FLOWS)
list: $(O)/captures.list
idx: $(O)/idx.done
pic: $(O)/pic.done
stats: $(O)/features.csv

# One stream per capture.  The map is a prerequisite: a new map relabels.
$(O)/flows/%.flows: $(C)/% $(MAP)
	@mkdir -p '$(@D)'
	$(PCAP_FLOWS) -o $@ $<

# The list of captures, rewritten only when the set of captures changed, so
# that a capture added or removed remakes all.flows and nothing else does.
# $(file) writes it: a list of many thousand names is too long for one
# shell command line.
$(O)/captures.list: FORCE | $(O)/
	$(file >$@.new,$(subst $(SPACE),$(NL),$(REL)))
	@if cmp -s '$@.new' '$@'; then rm -f '$@.new'; else mv -f '$@.new' '$@'; fi

# Streams concatenate (flowrec(5)): the data set's one stream is the
# capture streams one after the other, in the list's order.
$(O)/all.flows: $(O)/captures.list $(FLOWS)
	@t='$@.tmp.'$$$$; \
	sed 's/$$/.flows/' '$(O)/captures.list' | tr '\n' '\0' | (cd '$(O)/flows' && xargs -0 cat) >"$$t" && \
	sync "$$t" && mv -f "$$t" '$@' || { rm -f "$$t"; exit 1; }
	@echo 'cat $(O)/flows/*.flows > $@ ($(words $(FLOWS)) streams)'

$(O)/idx.done: $(O)/all.flows $(CLASSES)
	$(FLOW_IDX) -o $(O)/idx $(O)/all.flows
	@touch $@

$(O)/pic.done: $(O)/all.flows $(CLASSES)
	$(FLOW_PIC) -o $(O)/pic $(O)/all.flows
	@touch $@

$(O)/features.csv: $(O)/all.flows
	$(FLOW_STATS) -o $@ $(O)/all.flows

$(O)/:
	@mkdir -p $@

clean:
	rm -rf '$(O)/flows'
	rm -f '$(O)/captures.list' '$(O)/all.flows' '$(O)/features.csv' '$(O)'/idx[.-]* '$(O)'/pic[.-]*

FORCE:
.PHONY: all flows list idx pic stats clean FORCE
