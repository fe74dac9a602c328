#!/usr/bin/perl
# man-refs.t - no man page and no README refers to a page that does not exist.
#
# Every .Xr NAME SECTION of the pages in man/, every NAME(SECTION) in their
# text and in README.md, and every README link into man/ must name a page in
# man/ (a name that starts with "flow", or the name of a tool in cmd/), or a
# system page (listed below, or known to man(1)).  A tool that is planned but
# not written has no page yet, so it is named in plain words ("flow-stats,
# planned"), never as a cross-reference.
use strict;
use warnings;
use Test::More;
use Cwd qw(abs_path);
use File::Basename qw(dirname basename);

# The pages of other packages that flowkit's pages may refer to; another
# one passes where man(1) finds it on this machine.
my %system = map { $_ => 1 } qw(
	jq(1) tshark(1) tcpdump(1) hexdump(1) gzip(1) make(1)
	cat(1) editcap(1) parallel(1) ssh(1) rsync(1)
	flock(2) fsync(2) open(2) rename(2) write(2)
	inet_ntop(3) pcap(3) mkstemp(3)
	pcap-savefile(5) pcap-filter(7)
);

sub system_page {
	my ($ref) = @_;
	return 1 if $system{$ref};
	my ($name, $sec) = $ref =~ /^(.*)\((\d)\)$/;
	return system("man -w $sec '$name' >/dev/null 2>&1") == 0;
}

my $root = abs_path(dirname($0) . "/..");
my %tools = map { basename($_) =~ /^(.*)\.c$/ ? ($1 => 1) : () } glob("$root/cmd/*.c");
my %ours = map { basename($_) =~ /^(.*)\.(\d)$/ ? ("$1($2)" => 1) : () } glob("$root/man/*.[157]");


# [file:line, "name(section)"] for every reference in FILE.
sub refs {
	my ($file, $is_man) = @_;
	open(my $fh, "<", "$root/$file") or die "$file: $!\n";
	my @found;
	while (my $l = <$fh>) {
		next if $is_man && $l =~ /^\.\\"/;
		# Python sessions in displays call functions, they name no pages.
		next if $is_man && $l =~ /^(?:>>> |\\&\.\.\. )/;
		my $at = "$file:$.";
		if ($is_man && $l =~ /^\./) {
			push @found, [$at, "$1($2)"] while $l =~ /(?:^\.|\s)Xr\s+(\S+)\s+(\d)\b/g;
		}
		push @found, [$at, "$1($2)"] while $l =~ /(?<![\w\/-])([a-z][\w.-]*[a-z0-9])\(([1-9])\)/g;
	}
	close $fh;
	return @found;
}

ok(keys(%ours) > 0, "pages found in man/");
my @files = ((map { ["man/" . basename($_), 1] } sort glob("$root/man/*.[157]")), ["README.md", 0]);
my $checked = 0;
for my $f (@files) {
	for my $r (refs(@$f)) {
		my ($at, $ref) = @$r;
		$checked++;
		next if $ours{$ref};
		my ($name) = $ref =~ /^(.*)\(/;
		if ($name =~ /^flow/ || $tools{$name}) {
			ok(0, "$at: $ref, a flowkit page, is in man/");
		} elsif (!system_page($ref)) {
			ok(0, "$at: $ref is a system page (list it in tests/man-refs.t if man(1) does not know it here)");
		}
	}
}
ok($checked > 0, "$checked references checked");

open(my $fh, "<", "$root/README.md") or die "README.md: $!\n";
my $links = 0;
while (my $l = <$fh>) {
	while ($l =~ /\]\((man\/[^)\s#]*)/g) {
		$links++;
		ok(-f "$root/$1", "README.md:$.: the link $1 names a page in man/");
	}
}
close $fh;
ok($links > 0, "README.md links to the man pages");

# The page's own name and section match its file name.
for my $p (sort glob("$root/man/*.[157]")) {
	my $b = basename($p);
	open(my $ph, "<", $p) or die "$p: $!\n";
	my ($dt) = grep { /^\.Dt\s/ } <$ph>;
	close $ph;
	my ($name, $sec) = $b =~ /^(.*)\.(\d)$/;
	my $u = quotemeta(uc $name);
	my $good = defined $dt && $dt =~ /^\.Dt\s+$u\s+$sec\b/ ? 1 : 0;
	ok($good, "man/$b: .Dt names $name($sec)");
}

done_testing();
