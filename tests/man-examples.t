#!/usr/bin/perl
# man-examples.t - run every example of every man page and compare its output,
# exactly, with the output the page shows.
#
# The convention, for the EXAMPLES section of each page in man/ (flowkit(7),
# HACKING, says it for authors):
#
#   - Each .Bd -literal ... .Ed display is an example.
#   - In a display, a line "$ command" is a shell command.  A command line
#     that ends in a backslash (\e in the source), "|", "&&" or "||" goes on
#     on the next line.  The lines after the command, up to the next "$ "
#     line or the end of the display, are its output (standard output and
#     standard error together), exact; a command with no lines after it must
#     print nothing.  Each command must exit 0.
#   - A display whose first line starts with ">>> " is a Python session, run
#     by doctest, with python/ (the flowkit package) and scripts/ on PYTHONPATH.
#   - A display right after the comment line  .\" not run: REASON  is not run;
#     it is reported here as skipped, with the reason.  Any other display in
#     EXAMPLES fails.
#   - A page whose first line is the comment  .\" man-examples: every section
#     (flowkit-tutorial(7)) has its displays run in every section, not only
#     in EXAMPLES.
#   - The commands of a page run in order, in one scratch directory of their
#     own where tests/, scripts/, examples/ and python/ name the source
#     tree's, with $FK_BIN first on PATH, stdin /dev/null, TZ=UTC and
#     LC_ALL=C: as they would from the top of the source tree with build/ on
#     PATH.  Each runs in a shell of its own, so a cd or a variable does not
#     carry over to the next.
#
# Roff escapes in a display: \e, \&, \-, \(aq and \(dq are understood; any
# other is an error, so that what is run is what the reader sees.
#
# Each failure names the page and the line of the command.
#
# FK_MANEX_UPDATE=1 prove tests/man-examples.t writes what each command
# printed into its page instead, to be read and checked with git diff before
# it is committed.
use strict;
use warnings;
use Test::More;
use Cwd qw(abs_path);
use File::Basename qw(dirname basename);
use File::Temp qw(tempdir);

my $root = abs_path(dirname($0) . "/..");
my $bin = abs_path($ENV{FK_BIN} // "$root/build");
plan(skip_all => "the tools are not built (FK_BIN)") unless defined $bin && -x "$bin/flow-json";
my $tmp = tempdir("fk-manex.XXXXXX", TMPDIR => 1, CLEANUP => 1);
my $python = -x "/usr/bin/python3" ? "/usr/bin/python3" : "python3";

$ENV{PATH} = "$bin:$ENV{PATH}";
$ENV{TZ} = "UTC";
$ENV{LC_ALL} = "C";
delete @ENV{qw(LANG LANGUAGE)};
$ENV{PYTHONPATH} = "$root/python:$root/scripts";

my $update = $ENV{FK_MANEX_UPDATE};



# One line of a literal display as the reader sees it, or undef with $@ set.
sub unroff {
	my ($s) = @_;
	my %named = (aq => "'", dq => '"');
	my $out = "";
	while ($s =~ /\G([^\\]*)\\(.)/gc) {
		$out .= $1;
		if ($2 eq "e") { $out .= "\\" }
		elsif ($2 eq "&") { }
		elsif ($2 eq "-") { $out .= "-" }
		elsif ($2 eq "(" && $s =~ /\G(..)/gc && exists $named{$1}) { $out .= $named{$1} }
		else { $@ = "roff escape \\$2 not understood here"; return undef }
	}
	$s =~ /\G(.*)/gc;
	return $out . $1;
}

# The displays of the EXAMPLES section: [first line number, reason not run
# or undef, [[line number, text], ...]], or a string saying what is wrong.
sub displays {
	my ($path) = @_;
	open(my $fh, "<", $path) or die "$path: $!\n";
	my @lines = <$fh>;
	close $fh;
	chomp @lines;
	my ($in, $block, $notrun, @out) = (0, undef, undef);
	# A page whose first line says so (flowkit-tutorial(7)) is all examples.
	my $every = @lines && $lines[0] =~ /^\.\\"\s*man-examples:\s*every section/;
	for my $i (0 .. $#lines) {
		my ($ln, $l) = ($i + 1, $lines[$i]);
		if ($l =~ /^\.Sh\s+(.*)/) {
			$in = $every || $1 eq "EXAMPLES";
			next;
		}
		next unless $in;
		if ($block) {
			if ($l =~ /^\.Ed\b/) {
				push @out, $block;
				undef $block;
			} elsif ($l =~ /^[.']/) {
				return "$ln: a request inside an example display";
			} else {
				my $t = unroff($l);
				return "$ln: $@" unless defined $t;
				push @{$block->[2]}, [$ln, $t];
			}
		} elsif ($l =~ /^\.\\"\s*not run:\s*(\S.*)/) {
			$notrun = $1;
		} elsif ($l =~ /^\.Bd\s+(.*)/) {
			return "$ln: a display in EXAMPLES that is not -literal" unless $1 =~ /^-literal\b/;
			$block = [$ln, $notrun, []];
			undef $notrun;
		} elsif ($l !~ /^\.\\"/) {
			undef $notrun;
		}
	}
	return "an example display without .Ed" if $block;
	return \@out;
}

# The shell commands of a display: [line number, command, expected output].
sub commands {
	my ($lines) = @_;
	my @cmds;
	my $i = 0;
	while ($i < @$lines) {
		my ($ln, $t) = @{$lines->[$i++]};
		return "$ln: a line before the first \"\$ \" command" unless $t =~ s/^\$ //;
		my $cmd = $t;
		my $last = $ln;
		while ($t =~ /(\\|\||&&)\s*$/ && $i < @$lines) {
			($last, $t) = @{$lines->[$i++]};
			$cmd .= "\n$t";
		}
		my ($want, $nout) = ("", 0);
		while ($i < @$lines && $lines->[$i][1] !~ /^\$ /) {
			$want .= $lines->[$i++][1] . "\n";
			$nout++;
		}
		push @cmds, [$ln, $cmd, $want, $last + 1, $nout];
	}
	return \@cmds;
}

sub run_in {
	my ($dir, @argv) = @_;
	my $pid = open(my $fh, "-|") // die "fork: $!\n";
	if (!$pid) {
		chdir $dir or die "$dir: $!\n";
		open(STDIN, "<", "/dev/null");
		open(STDERR, ">&", \*STDOUT);
		exec("timeout", "120", @argv) or die "exec: $!\n";
	}
	local $/;
	my $got = <$fh> // "";
	close $fh;
	return ($got, $?);
}

sub diff {
	my ($want, $got) = @_;
	my ($w, $g) = ("$tmp/want", "$tmp/got");
	for ([$w, $want], [$g, $got]) {
		open(my $fh, ">", $_->[0]) or die "$_->[0]: $!\n";
		print $fh $_->[1];
		close $fh;
	}
	my $d = `diff -u -a "$w" "$g" | sed '1,2d' | head -n 40`;
	return "expected (-) and printed (+):\n$d";
}

# The text of a display line that shows T.
sub enroff {
	my ($t) = @_;
	$t =~ s/\\/\\e/g;
	$t = "\\&$t" if $t =~ /^[.']/;
	return $t;
}

# Replaces the output lines of the commands in PATH: [first line, count, text].
sub rewrite {
	my ($path, @edits) = @_;
	open(my $fh, "<", $path) or die "$path: $!\n";
	my @lines = <$fh>;
	close $fh;
	for my $e (sort { $b->[0] <=> $a->[0] } @edits) {
		my ($first, $count, $text) = @$e;
		my @new = map { enroff($_) . "\n" } split /\n/, $text, -1;
		pop @new if @new && $new[-1] eq "\n" && $text =~ /\n\z/;
		splice(@lines, $first - 1, $count, @new);
	}
	open($fh, ">", $path) or die "$path: $!\n";
	print $fh @lines;
	close $fh or die "$path: $!\n";
}

sub first_line {
	my ($cmd) = @_;
	my ($f) = split /\n/, $cmd;
	return length($f) > 60 ? substr($f, 0, 57) . "..." : $f;
}

my @pages = sort glob("$root/man/*.[157]");
ok(@pages > 0, "man pages found in man/");
for my $path (@pages) {
	my $page = "man/" . basename($path);
	my $ex = displays($path);
	if (!ref $ex) {
		ok(0, "$page:$ex");
		next;
	}
	my $dir = "$tmp/" . basename($path);
	mkdir $dir or die "$dir: $!\n";
	symlink("$root/$_", "$dir/$_") or die "$dir/$_: $!\n" for qw(tests scripts examples python);
	my ($ran, @edits) = (0);
	for my $d (@$ex) {
		my ($bd, $notrun, $lines) = @$d;
		if (defined $notrun) {
			SKIP: { skip("$page:$bd: not run: $notrun", 1) }
			next;
		}
		if (!@$lines) {
			ok(0, "$page:$bd: an empty example display");
			next;
		}
		if ($lines->[0][1] =~ /^>>> /) {
			my $file = "$dir/doctest-$bd.txt";
			open(my $fh, ">", $file) or die "$file: $!\n";
			print $fh map { "$_->[1]\n" } @$lines;
			close $fh;
			my ($got, $st) = run_in($dir, $python, "-m", "doctest", $file);
			ok($st == 0 && $got eq "", "$page:$bd: Python session")
			    or diag("exit status $st; doctest says (its line 1 is page line " . ($bd + 1) . "):\n$got");
			$ran++;
			next;
		}
		my $cmds = commands($lines);
		if (!ref $cmds) {
			ok(0, "$page:$cmds (neither \"\$ command\" nor \">>> \"; mark it .\\\" not run: REASON)");
			next;
		}
		for my $c (@$cmds) {
			my ($ln, $cmd, $want, $out_ln, $nout) = @$c;
			my ($got, $st) = run_in($dir, "sh", "-c", $cmd);
			push @edits, [$out_ln, $nout, $got] if $update && $st == 0 && $got ne $want;
			my $desc = "$page:$ln: \$ " . first_line($cmd);
			if ($st != 0) {
				ok(0, $desc) or diag("exit status " . ($st >> 8) . " (signal " . ($st & 127) . "), printed:\n$got");
			} else {
				ok($got eq $want, $desc) or diag(diff($want, $got));
			}
			$ran++;
		}
	}
	ok($ran > 0, "$page: has examples that are run");
	rewrite($path, @edits) if @edits;
}

done_testing();
