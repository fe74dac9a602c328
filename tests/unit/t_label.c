/*
 * t_label.c - unit tests of common/label.c, TAP output: the one grammar of
 * keyword maps and class files (comments, blank lines, escapes, long
 * lines, bad lines named by file and line, duplicates, ids), matching,
 * first-appearance ids, classes.txt round trips and --label-dir names.
 *
 *   t_label                 the tests
 *   t_label -m MAP NAME...  print "NAME LABEL" (or "NAME -") for each name
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "label.h"
#include "rec.h"

#include "tap.h"

static char err[LABEL_ERRLEN];

/* A stream over a string (fmemopen cannot take an empty buffer). */
static FILE *text(const char *s, size_t n)
{
	FILE *fp = tmpfile();

	if (fp == NULL || fwrite(s, 1, n, fp) != n) abort();
	rewind(fp);
	return fp;
}

static int map_of(struct label_map *m, const char *s)
{
	FILE *fp = text(s, strlen(s));
	int rc;

	memset(m, 0, sizeof *m);
	err[0] = '\0';
	rc = label_map_read(m, fp, "t.map", err, sizeof err);
	fclose(fp);
	return rc;
}

static int classes_of(struct label_classes *t, const char *s, size_t n, enum label_cols cols)
{
	FILE *fp = text(s, n);
	int rc;

	err[0] = '\0';
	rc = label_classes_read(t, fp, "t.classes", cols, err, sizeof err);
	fclose(fp);
	return rc;
}

static const char *match(const struct label_map *m, const char *name)
{
	const char *r = label_map_match(m, name);

	return r ? r : "-";
}

static void test_maps(void)
{
	struct label_map m;
	char *big;
	size_t i;

	ok(map_of(&m, "# a comment\n\n   \t\nchat Chat # after\n  vpn_chat\tVPN_Chat\r\nvpn Other\n") == 0
	    && m.n == 3, "map: comments, blank lines, CR LF, tabs: 3 keywords");
	is(m.match, LABEL_LONGEST, "map: longest match by default");
	ok(strcmp(match(&m, "dir/VPN_Chat1a.pcap"), "VPN_Chat") == 0, "map: longest keyword, lowercased name");
	ok(strcmp(match(&m, "x/chat_vpn.pcap"), "Chat") == 0, "map: chat (4) before vpn (3)");
	ok(strcmp(match(&m, "vpn_chat/x.pcap"), "-") == 0, "map: the directory part is not matched");
	label_map_free(&m);

	ok(map_of(&m, "%match first\nchat Chat\nvpn_chat VPN_Chat\n") == 0 && m.match == LABEL_FIRST,
	    "map: %%match first");
	ok(strcmp(match(&m, "vpn_chat1.pcap"), "Chat") == 0, "map: first match in map order");
	label_map_free(&m);

	ok(map_of(&m, "a\\x20b\\x23 x\\\\y\n\\x25pct P\n\\x23hash H\nq#r Q\n") == 0 && m.n == 4,
	    "map: escapes, literal # inside a field");
	ok(strcmp(match(&m, "1a b#.pcap"), "x\\y") == 0, "map: \\x20, \\x23 and \\\\ unescaped");
	ok(strcmp(match(&m, "%pct.pcap"), "P") == 0, "map: an escaped %% is a keyword, not a directive");
	ok(strcmp(match(&m, "#hash"), "H") == 0 && strcmp(match(&m, "q#r"), "Q") == 0,
	    "map: escaped leading #, and # inside a word");
	label_map_free(&m);

	/* A line over 1023 bytes is one line (it was cut in two before). */
	big = malloc(5000);
	for (i = 0; i < 3000; i++) big[i] = 'k';
	strcpy(big + 3000, " Long\nshort S\n");
	ok(map_of(&m, big) == 0 && m.n == 2 && m.v[0].kwlen == 3000 && strcmp(m.v[0].label, "Long") == 0,
	    "map: a 3000-byte keyword stays one line");
	label_map_free(&m);
	memset(big, 'k', 1100);
	strcpy(big + 1100, "\n");
	ok(map_of(&m, big) < 0 && strcmp(err, "t.map: line 1: expected two fields separated by blanks") == 0,
	    "map: a 1100-byte line of one field is an error, not two lines (%s)", err);
	free(big);
	big = malloc(LABEL_MAX_LINE + 10);
	memset(big, 'k', LABEL_MAX_LINE + 5);
	big[LABEL_MAX_LINE + 5] = '\0';
	ok(map_of(&m, big) < 0 && strstr(err, "line 1: longer than 65536 bytes"),
	    "map: a line over LABEL_MAX_LINE: %s", err);
	label_map_free(&m);
	memset(big, 'k', LABEL_MAX_LINE);
	memcpy(big + LABEL_MAX_LINE - 2, " L", 3);
	ok(map_of(&m, big) == 0 && m.n == 1, "map: a line of exactly LABEL_MAX_LINE bytes (no newline)");
	label_map_free(&m);
	free(big);

	ok(map_of(&m, "a A\nb B C\n") < 0 && strcmp(err, "t.map: line 2: expected two fields, found more") == 0,
	    "map: three fields: %s", err);
	label_map_free(&m);
	ok(map_of(&m, "\n\nonlyone\n") < 0 && strstr(err, "t.map: line 3: ") == err, "map: one field: %s", err);
	label_map_free(&m);
	ok(map_of(&m, "a A\nA B\n") < 0 && strcmp(err, "t.map: line 2: keyword 'a' given twice") == 0,
	    "map: a keyword twice (after lowering): %s", err);
	label_map_free(&m);
	ok(map_of(&m, "a/b A\n") < 0 && strstr(err, "line 1: keyword 'a/b': a '/' never matches"),
	    "map: a keyword with a '/': %s", err);
	label_map_free(&m);
	ok(map_of(&m, "# nothing\n") < 0 && strcmp(err, "t.map: no keywords") == 0, "map: empty: %s", err);
	label_map_free(&m);
	ok(map_of(&m, "a\\q A\n") < 0 && strstr(err, "line 1: a backslash"), "map: bad escape: %s", err);
	label_map_free(&m);
	ok(map_of(&m, "a\\x0 A\n") < 0, "map: \\x with one hex digit");
	label_map_free(&m);
	ok(map_of(&m, "a\\x00 A\n") < 0 && strstr(err, "NUL"), "map: \\x00: %s", err);
	label_map_free(&m);
	ok(map_of(&m, "a A\n%match sometimes\n") < 0 && strstr(err, "line 2: %match"), "map: bad %%match: %s", err);
	label_map_free(&m);
	ok(map_of(&m, "%include x\n") < 0 && strstr(err, "line 1: unknown directive '%include'"),
	    "map: unknown directive: %s", err);
	label_map_free(&m);
	{
		FILE *fp = text("a\0b A\n", 6);

		memset(&m, 0, sizeof m);
		ok(label_map_read(&m, fp, "t.map", err, sizeof err) < 0 && strstr(err, "line 1: a NUL byte"),
		    "map: a raw NUL byte: %s", err);
		fclose(fp);
		label_map_free(&m);
	}
	{
		char *lab = malloc(REC_MAX_LABEL + 16);

		memcpy(lab, "k ", 2);
		memset(lab + 2, 'L', REC_MAX_LABEL);
		strcpy(lab + 2 + REC_MAX_LABEL, "\n");
		ok(map_of(&m, lab) == 0 && strlen(m.v[0].label) == REC_MAX_LABEL, "map: a label of 1024 bytes");
		label_map_free(&m);
		memset(lab + 2, 'L', REC_MAX_LABEL + 1);
		strcpy(lab + 3 + REC_MAX_LABEL, "\n");
		ok(map_of(&m, lab) < 0 && strstr(err, "label longer than 1024"), "map: a label of 1025 bytes: %s",
		    err);
		label_map_free(&m);
		free(lab);
	}
	/* Two maps in one: a second file adds keywords; %match must agree. */
	ok(map_of(&m, "a A\n") == 0, "map: first file");
	{
		FILE *fp = text("%match first\nb B\n", 17);

		ok(label_map_read(&m, fp, "two.map", err, sizeof err) == 0 && m.n == 2, "map: a second file adds");
		fclose(fp);
		fp = text("%match longest\n", 15);
		ok(label_map_read(&m, fp, "three.map", err, sizeof err) < 0 && strstr(err, "three.map: line 1:"),
		    "map: a conflicting %%match: %s", err);
		fclose(fp);
	}
	label_map_free(&m);
	ok(label_map_load(&m, "/nonexistent/x.map", err, sizeof err) < 0 &&
	    strcmp(err, "/nonexistent/x.map: No such file or directory") == 0, "map: missing file: %s", err);
}

static void test_classes(void)
{
	struct label_classes t = { 0 };
	const struct label_class *c;
	char *buf;
	size_t n;
	FILE *fp;
	int id;

	ok(classes_of(&t, "# ids\n\nChat 0\n  VPN\\x20Chat\t5  # spaces escaped\nChat2 0\r\n", 55, LABEL_NAME_ID) == 0
	    && t.n == 3, "classes: comments, blank lines, escapes, CR LF: 3 names (%s)", err);
	c = label_class_lookup(&t, "VPN Chat", 8);
	ok(c && c->id == 5, "classes: an escaped space in a name");
	ok(label_class_lookup(&t, "Chat2", 5)->id == 0, "classes: two names share id 0");
	is(t.next_id, 6, "classes: the next id follows the largest");
	ok(strcmp(label_class_name(&t, 0), "Chat") == 0 && label_class_name(&t, 1) == NULL,
	    "classes: name of an id is the first with it");
	t.fixed = true;
	is(label_class_id(&t, "Nope", 4, err, sizeof err), LABEL_UNKNOWN, "classes: fixed: unknown is 255");
	t.fixed = false;
	is(label_class_id(&t, "Nope", 4, err, sizeof err), 6, "classes: open: a new name gets the next id");
	is(label_class_id(&t, "Nope", 4, err, sizeof err), 6, "classes: ... and keeps it");
	fp = tmpfile();
	ok(label_classes_write(&t, fp) == 0, "classes: written");
	n = (size_t)ftell(fp);
	rewind(fp);
	buf = calloc(1, n + 1);
	if (fread(buf, 1, n, fp) != n) abort();
	fclose(fp);
	ok(strcmp(buf, "0 Chat\n0 Chat2\n5 VPN\\x20Chat\n6 Nope\n") == 0,
	    "classes.txt: by id, file order within an id, escaped");
	{
		struct label_classes u = { 0 };

		ok(classes_of(&u, buf, n, LABEL_ID_NAME) == 0 && u.n == 4 &&
		    label_class_lookup(&u, "VPN Chat", 8)->id == 5, "classes.txt: read back in id-name order");
		label_classes_free(&u);
	}
	free(buf);
	label_classes_free(&t);

	/* Names of any bytes round-trip through classes.txt. */
	{
		static const char odd[] = "#a\\b c\x01\x7f%d";
		struct label_classes u = { 0 };

		is(label_class_id(&t, odd, sizeof odd - 1, err, sizeof err), 0, "classes: an odd name, id 0");
		fp = tmpfile();
		label_classes_write(&t, fp);
		rewind(fp);
		ok(label_classes_read(&u, fp, "c.txt", LABEL_ID_NAME, err, sizeof err) == 0 &&
		    label_class_lookup(&u, odd, sizeof odd - 1) != NULL, "classes.txt: an odd name round-trips (%s)",
		    err);
		fclose(fp);
		label_classes_free(&u);
		label_classes_free(&t);
	}

	ok(classes_of(&t, "a 1\nb x\n", 8, LABEL_NAME_ID) < 0 &&
	    strcmp(err, "t.classes: line 2: 'x' is not a class id (0 to 254)") == 0, "classes: bad id: %s", err);
	label_classes_free(&t);
	ok(classes_of(&t, "a 255\n", 6, LABEL_NAME_ID) < 0 && strstr(err, "line 1: '255'"), "classes: id 255: %s", err);
	label_classes_free(&t);
	ok(classes_of(&t, "a 254\nb 0\n", 10, LABEL_NAME_ID) == 0, "classes: ids 0 and 254");
	is(label_class_id(&t, "c", 1, err, sizeof err), -1, "classes: no id after 254");
	ok(strcmp(err, "more than 255 classes") == 0, "classes: ... %s", err);
	label_classes_free(&t);
	ok(classes_of(&t, "a 1\n-1 2\n", 9, LABEL_ID_NAME) < 0 && strstr(err, "line 1: 'a' is not a class id"),
	    "classes.txt: id first: %s", err);
	label_classes_free(&t);
	ok(classes_of(&t, "a 1\n\nb 2\na 3\n", 14, LABEL_NAME_ID) < 0 &&
	    strcmp(err, "t.classes: line 4: class 'a' given twice") == 0, "classes: a name twice: %s", err);
	label_classes_free(&t);
	ok(classes_of(&t, "name with space 1\n", 18, LABEL_NAME_ID) < 0 && strstr(err, "line 1: expected two"),
	    "classes: an unescaped space: %s", err);
	label_classes_free(&t);
	ok(classes_of(&t, "%match first\n", 13, LABEL_NAME_ID) < 0 && strstr(err, "unknown directive"),
	    "classes: no directives: %s", err);
	label_classes_free(&t);
	ok(classes_of(&t, "\n# none\n", 8, LABEL_NAME_ID) < 0 && strcmp(err, "t.classes: no classes") == 0,
	    "classes: empty: %s", err);
	label_classes_free(&t);
	ok(classes_of(&t, "a 007\n", 6, LABEL_NAME_ID) == 0 && t.v[0].id == 7, "classes: leading zeros");
	label_classes_free(&t);
	{
		/* A long name line: one line, its name 1024 bytes; 1025 is refused. */
		char *l = malloc(REC_MAX_LABEL + 16);

		memset(l, 'n', REC_MAX_LABEL);
		strcpy(l + REC_MAX_LABEL, " 3\n");
		ok(classes_of(&t, l, strlen(l), LABEL_NAME_ID) == 0 && t.n == 1 && t.v[0].len == REC_MAX_LABEL,
		    "classes: a 1027-byte line, one name of 1024 bytes");
		label_classes_free(&t);
		memset(l, 'n', REC_MAX_LABEL + 1);
		strcpy(l + REC_MAX_LABEL + 1, " 3\n");
		ok(classes_of(&t, l, strlen(l), LABEL_NAME_ID) < 0 && strstr(err, "longer than 1024"),
		    "classes: a name of 1025 bytes: %s", err);
		label_classes_free(&t);
		free(l);
	}
	/* The limits: 255 ids in first-appearance mode, 4096 names in a file. */
	{
		unsigned i;
		char nm[32], *f = malloc(16 * (LABEL_MAX_NAMES + 1));
		size_t o = 0;

		for (i = 0, id = 0; i < 256 && id >= 0; i++) {
			snprintf(nm, sizeof nm, "n%u", i);
			id = label_class_id(&t, nm, strlen(nm), err, sizeof err);
		}
		ok(id < 0 && i == 256 && strcmp(err, "more than 255 classes") == 0,
		    "classes: the 256th class in open mode is refused");
		label_classes_free(&t);
		for (i = 0; i < LABEL_MAX_NAMES; i++) o += (size_t)sprintf(f + o, "n%u 0\n", i);
		ok(classes_of(&t, f, o, LABEL_NAME_ID) == 0 && t.n == LABEL_MAX_NAMES, "classes: 4096 names");
		label_classes_free(&t);
		o += (size_t)sprintf(f + o, "last 0\n");
		ok(classes_of(&t, f, o, LABEL_NAME_ID) < 0 && strstr(err, "line 4097: more than 4096 class names"),
		    "classes: 4097 names: %s", err);
		label_classes_free(&t);
		free(f);
	}
}

static void test_input(void)
{
	struct label_map m;
	struct label_config c = { 0 };
	char *lab, why[LABEL_ERRLEN];
	char cwd[4096];

	is(label_for_input(&c, "x.pcap", &lab, why, sizeof why), 0, "input: no labelling asked");
	ok(lab == NULL, "input: ... no label");
	c.fixed = "web";
	ok(label_for_input(&c, NULL, &lab, why, sizeof why) == 0 && strcmp(lab, "web") == 0,
	    "input: --label, also for stdin");
	free(lab);
	c.fixed = NULL;
	map_of(&m, "netflix Streaming\n");
	c.map = &m;
	is(label_for_input(&c, NULL, &lab, why, sizeof why), 1, "input: map and stdin: no label");
	ok(lab == NULL && strstr(why, "no file name"), "input: ... says so: %s", why);
	ok(label_for_input(&c, "a/Netflix1.pcap", &lab, why, sizeof why) == 0 && strcmp(lab, "Streaming") == 0,
	    "input: map");
	free(lab);
	is(label_for_input(&c, "a/other.pcap", &lab, why, sizeof why), 1, "input: map without a match");
	label_map_free(&m);
	c.map = NULL;
	c.dir = true;
	ok(label_for_input(&c, "/data/Chat/x.pcap", &lab, why, sizeof why) == 0 && strcmp(lab, "Chat") == 0,
	    "input: dir, absolute");
	free(lab);
	ok(label_for_input(&c, "/data//Chat/./sub/../x.pcap", &lab, why, sizeof why) == 0 &&
	    strcmp(lab, "Chat") == 0, "input: dir, // . and .. resolved by name");
	free(lab);
	is(label_for_input(&c, "/x.pcap", &lab, why, sizeof why), 1, "input: a file in / has no directory name");
	is(label_for_input(&c, NULL, &lab, why, sizeof why), 1, "input: dir and stdin: no label");
	if (getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") != 0) {
		const char *base = strrchr(cwd, '/') + 1;

		unsetenv("PWD");
		ok(label_for_input(&c, "x.pcap", &lab, why, sizeof why) == 0 && strcmp(lab, base) == 0,
		    "input: dir, a bare name: the current directory (%s)", base);
		free(lab);
		setenv("PWD", "/no/such/Dir", 1);
		ok(label_for_input(&c, "x.pcap", &lab, why, sizeof why) == 0 && strcmp(lab, base) == 0,
		    "input: a $PWD that is not the current directory is not used");
		free(lab);
	} else {
		ok(1, "skipped: no current directory");
		ok(1, "skipped: no current directory");
	}
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "-m") == 0) {
		struct label_map m = { 0 };
		int i;

		if (label_map_load(&m, argv[2], err, sizeof err) < 0) {
			fprintf(stderr, "t_label: %s\n", err);
			return 2;
		}
		for (i = 3; i < argc; i++) printf("%s %s\n", argv[i], match(&m, argv[i]));
		label_map_free(&m);
		return 0;
	}
	test_maps();
	test_classes();
	test_input();
	printf("1..%u\n", ntest);
	return nfail != 0;
}
