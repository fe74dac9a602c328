#!/usr/bin/perl
# layers.t - the layers of common/, as flowkit(7) HACKING draws them, checked
# on the #include lines of common/*.[ch] and cmd/*.c.
#
#   - Every module of common/ (NAME.c and NAME.h) has a layer in %layer.
#   - A module includes only headers of lower layers, or of its own layer
#     where @same lists the pair.
#   - cli.h is the command line's: of common/, only the modules in %cli_ok
#     include it (today's list, to shrink as they move to the ground module).
#   - A call of a function with another module's prefix (%prefix) is an edge
#     too, so that a header included by a header does not hide one.
#   - cmd/*.c include common/ headers only; no .c file is included; no
#     common/ file declares a function of another module by hand (extern).
#
#   - The map in flowkit(7), HACKING, agrees: its list of modules names
#     every module of common/ and no other, and its drawing of the layers
#     places each module where %layer does.
#
# A new module, or a new edge, is a decision: make it here and in the map
# of flowkit(7), HACKING, in the same commit.
use strict;
use warnings;
use Test::More;
use Cwd qw(abs_path);
use File::Basename qw(dirname basename);

# 0 ground: messages, exit codes, unfinished outputs, progress, version
# 1 bytes and buffers, strict numbers, digests, memo tables
# 2 records and their vocabulary, streams, captures, packets, fragments,
#   output files
# 3 the concepts the tools share
# 4 the pipelines and the command line; cmd/ is above everything
my %layer = (
	msg => 0,
	bytes => 1, num => 1, zread => 1, digest => 1, memo => 1,
	field => 2, rec => 2, stream => 2, cap => 2, pkt => 2, frag => 2, out => 2,
	capwalk => 2, quic => 2, x509 => 2,
	reasm => 2, tls => 2, http => 2, dns => 2, ssh => 2, starttls => 2,
	flowtab => 3, anon => 3, idx => 3, pic => 3, rjson => 3, fval => 3,
	label => 3, dataset => 3, session => 3, expr => 3, flowpic => 3, npy => 3,
	stats => 3, summary => 3, app => 3, cicflow => 3, anonmeta => 3,
	capflow => 4, sink => 4, idxset => 4, audit => 4, cli => 4,
);

# Edges inside one layer: [from, to].
my @same = (
	[qw(stream rec)], [qw(frag pkt)], [qw(rec field)], [qw(expr fval)], [qw(flowtab stats)], [qw(flowtab app)],
	[qw(cicflow stats)], [qw(anonmeta anon)],
	[qw(idxset sink)], [qw(idxset audit)],
);

# Includes of a header for its constants alone, with no call: "from to".
my %consts = (
	"field rec" => "field.c names the format's numbers (RE_, RF_, END_, ENCAP_) that rec.h defines",
);

# The modules of common/ that may include cli.h, and why: none.
my %cli_ok = ();

# The prefixes of the modules' exported names.
my %prefix = (
	msg => "msg_", bytes => "buf_|cur_|x(?:malloc|calloc|realloc|strdup)", num => "num_", zread => "zr_",
	digest => "dg_", memo => "memo_",
	rec => "rec_", stream => "rs_|rw_", cap => "cap_", pkt => "pkt_", frag => "frag_",
	out => "out_", field => "fld_", fval => "fv_", flowtab => "ft_", anon => "an_",
	idx => "idx_", pic => "pic_", rjson => "rj_", label => "label_", dataset => "ds_",
	session => "ses_", cli => "cli_", capwalk => "cw_", capflow => "cf_", quic => "quic_",
	x509 => "x509_", expr => "ex_", flowpic => "fp_", npy => "npy_", sink => "sink_", idxset => "idxset_", audit => "au_",
	stats => "st_", summary => "sm_", reasm => "ra_", tls => "tls_", http => "http_",
	dns => "dns_", ssh => "ssh_", starttls => "stls_", app => "app_", cicflow => "cic_", anonmeta => "am_",
);

my $root = abs_path(dirname($0) . "/..");


# [line number, included file] for each #include "..." of FILE.
sub includes {
	my ($file) = @_;
	open(my $fh, "<", $file) or die "$file: $!\n";
	my @inc;
	while (<$fh>) {
		push @inc, [$., $1] if /^\s*#\s*include\s+"([^"]+)"/;
	}
	close $fh;
	return @inc;
}

my %same = map { ("$_->[0] $_->[1]" => 1) } @same;

# May module FROM use module TO?
sub allowed {
	my ($from, $to) = @_;
	return 1 if $from eq $to;
	return $cli_ok{$from} ? 1 : 0 if $to eq "cli";
	return $layer{$to} < $layer{$from} || $same{"$from $to"};
}

# The text of FILE without comments, strings and character constants.
sub code {
	my ($file) = @_;
	open(my $fh, "<", $file) or die "$file: $!\n";
	local $/;
	my $s = <$fh>;
	close $fh;
	$s =~ s{/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'}{my $m = $&; $m =~ tr/\n//cd; $m}gse;
	return $s;
}

for my $e (@same) {
	my ($a, $b) = @$e;
	ok(defined $layer{$a} && defined $layer{$b} && $layer{$a} == $layer{$b},
	    "the table: $a -> $b is an edge inside one layer");
}

my @common = sort glob("$root/common/*.[ch]");
ok(@common > 0, "common/ has files");
# Each use of another module that the layers forbid: "from to" => [where, ...].
my (%seen, %bad, $edges, $calls) = ((), (), 0, 0);
for my $path (@common) {
	my $file = "common/" . basename($path);
	my ($mod) = basename($path) =~ /^(.*)\.[ch]$/;
	$seen{$mod} = 1;
	if (!defined $layer{$mod}) {
		ok(0, "$file: module $mod has a layer in tests/layers.t (and a place in flowkit(7) HACKING)");
		next;
	}
	for my $i (includes($path)) {
		my ($ln, $inc) = @$i;
		if ($inc !~ /^([\w-]+)\.h$/ || !-f "$root/common/$inc") {
			ok(0, "$file:$ln: includes $inc, a header of common/");
			next;
		}
		my $to = $1;
		next if $to eq $mod || !defined $layer{$to};
		$edges++;
		push @{$bad{"$mod $to"}}, "$file:$ln includes $inc"
		    if !allowed($mod, $to) && !$consts{"$mod $to"};
	}
	my @lines = split /\n/, code($path), -1;
	for my $i (0 .. $#lines) {
		for my $to (sort keys %prefix) {
			next if $to eq $mod || !defined $layer{$to};
			next unless $lines[$i] =~ /\b((?:$prefix{$to})\w*)\s*\(/;
			$calls++;
			push @{$bad{"$mod $to"}}, "$file:" . ($i + 1) . " calls $1" if !allowed($mod, $to);
		}
	}
	open(my $fh, "<", $path) or die "$path: $!\n";
	while (<$fh>) {
		ok(0, "$file:$.: no function of another module declared by hand") if /^\s*extern\s+[^"]*\(/;
	}
	close $fh;
}
for my $e (sort keys %bad) {
	my ($from, $to) = split " ", $e;
	my @at = @{$bad{$e}};
	my $why = $to eq "cli"
	    ? "cli is the command line's, and $from is not in the list of modules that may include cli.h"
	    : "$to is in layer $layer{$to}, $from in layer $layer{$from}, and $from -> $to is not an edge inside a layer";
	ok(0, "$from uses $to: $at[0]" . (@at > 1 ? " and " . (@at - 1) . " more" : "")) or diag(join("\n", $why, @at));
}
ok($edges > 0, "$edges includes between modules of common/ checked against the layers");
ok($calls > 0, "$calls lines calling another module checked against the layers");
ok($seen{$_}, "the cli.h list names a module that exists: $_") for sort keys %cli_ok;

for my $path (sort glob("$root/cmd/*.c")) {
	my $file = "cmd/" . basename($path);
	my $bad = join(", ", map { "line $_->[0]: $_->[1]" } grep { !-f "$root/common/$_->[1]" || $_->[1] !~ /\.h$/ } includes($path));
	ok($bad eq "", "$file includes only headers of common/") or diag($bad);
}

for my $path (sort(glob("$root/common/*.[ch]"), glob("$root/cmd/*.c"))) {
	my @c = grep { $_->[1] =~ /\.c$/ } includes($path);
	ok(0, "$path:$_->[0]: no .c file included") for @c;
}

# The map: the modules listed and the layers drawn in flowkit(7), HACKING.
open(my $mh, "<", "$root/man/flowkit.7") or die "man/flowkit.7: $!\n";
my ($where, %listed, %drawn) = ("");
while (<$mh>) {
	$where = $1 if /^\.S[sh]\s+(.*)/;
	$listed{$1} = 1 if $where eq "The modules of common/" && /^\.It Sy (\w+)/;
	if ($where eq "Layers" && /^\s*(\d)\s+([a-z][a-z0-9 ]*?)\s*$/) {
		my $l = $1;
		$drawn{$_} = $l for split " ", $2;
	}
}
close $mh;
my %files = map { basename($_) =~ /^(.*)\.[ch]$/ ? ($1 => 1) : () } @common;
ok($listed{$_}, "flowkit(7) HACKING lists module $_") for sort keys %files;
ok($files{$_}, "flowkit(7) HACKING lists $_, a module of common/") for sort keys %listed;
ok(scalar(keys %drawn) > 0, "flowkit(7) HACKING draws the layers");
for my $m (sort keys %layer) {
	is($drawn{$m}, $layer{$m}, "flowkit(7) HACKING draws $m in layer $layer{$m}");
}
ok(defined $layer{$_}, "flowkit(7) HACKING draws $_, which has a layer here") for sort keys %drawn;

done_testing();
