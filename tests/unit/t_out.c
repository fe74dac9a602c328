/*
 * t_out.c - unit tests of common/out.c that the tools cannot show: a group
 * commit replaces every file or none, abort keeps the old file,
 * out_open_regular refuses what cannot be seeked, and out_lock waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "out.h"
#include "tap.h"

static char dir[64];

static char *at(const char *name)
{
	static char p[4][128];
	static unsigned k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
	return p[k];
}

static void put(const char *name, const char *text)
{
	FILE *fp = fopen(at(name), "w");

	fputs(text, fp);
	fclose(fp);
}

static int holds(const char *name, const char *text)
{
	char b[256];
	FILE *fp = fopen(at(name), "r");
	size_t n;

	if (fp == NULL) return 0;
	n = fread(b, 1, sizeof b - 1, fp);
	fclose(fp);
	b[n] = '\0';
	return strcmp(b, text) == 0;
}

/* ntmp: temporaries (NAME.tmp.XXXXXX) in dir. */
static int ntmp(void)
{
	char cmd[160];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '\\.tmp\\.'", dir);
	p = popen(cmd, "r");
	if (p && fscanf(p, "%d", &n) != 1) n = -1;
	if (p) pclose(p);
	return n;
}

static void test_group(void)
{
	struct out_file a, b, c;
	struct out_group g = { { 0 }, 0 };

	put("a", "old a");
	put("b", "old b");
	ok(out_open(&a, at("a")) == 0 && out_open(&b, at("b")) == 0 && out_open(&c, at("c")) == 0,
	    "group: three files open");
	is(ntmp(), 3, "group: three temporaries");
	fputs("new a", a.fp);
	fputs("new b", b.fp);
	fputs("new c", c.fp);
	out_group_add(&g, &c);
	out_group_add(&g, &a);
	out_group_add(&g, &b);
	is(out_group_commit(&g), 0, "group: commit");
	ok(holds("a", "new a") && holds("b", "new b") && holds("c", "new c"), "group: every file replaced");
	is(ntmp(), 0, "group: no temporary left");
	/* One member fails to finish (/dev/full): nothing is replaced. */
	ok(out_open(&a, at("a")) == 0 && out_open(&b, "/dev/full") == 0 && out_open(&c, at("c")) == 0,
	    "failing group: open");
	fputs("newer a", a.fp);
	fputs("x", b.fp);
	fputs("newer c", c.fp);
	out_group_add(&g, &a);
	out_group_add(&g, &b);
	out_group_add(&g, &c);
	diag("a write error on /dev/full is expected next:");
	is(out_group_commit(&g), -1, "failing group: commit fails");
	ok(holds("a", "new a") && holds("c", "new c"), "failing group: no file replaced");
	is(ntmp(), 0, "failing group: temporaries removed");
	is(g.n, 0, "failing group: emptied");
}

static void test_abort(void)
{
	struct out_file a;

	ok(out_open(&a, at("a")) == 0, "abort: open");
	fputs("never", a.fp);
	out_abort(&a);
	ok(holds("a", "new a"), "abort: the old file stays");
	is(ntmp(), 0, "abort: the temporary is removed");
	out_abort(&a); /* twice is harmless */
	is(out_commit(&a), -1, "commit after abort: -1");
}

static void test_regular(void)
{
	struct out_file a;

	mkfifo(at("fifo"), 0600);
	diag("two 'not a regular file' messages are expected next:");
	is(out_open_regular(&a, at("fifo")), -1, "out_open_regular: a FIFO is refused");
	is(out_open_regular(&a, "-"), -1, "out_open_regular: stdout is refused");
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void test_lock(void)
{
	int p[2], st;
	pid_t pid;
	char c;
	double t0;

	if (pipe(p) != 0) return;
	pid = fork();
	if (pid == 0) {
		int fd = open(at("lock"), O_RDWR | O_CREAT, 0666);

		flock(fd, LOCK_EX);
		write(p[1], "x", 1);
		usleep(300000);
		_exit(0);
	}
	read(p[0], &c, 1);
	t0 = now();
	is(out_lock(at("lock")), 0, "out_lock: taken");
	ok(now() - t0 > 0.2, "out_lock: waited for the holder (%.2f s)", now() - t0);
	waitpid(pid, &st, 0);
	ok(access(at("lock"), F_OK) == 0, "out_lock: the lock file stays");
}

int main(void)
{
	char cmd[96];

	setvbuf(stdout, NULL, _IOLBF, 0);
	msg_init("t_out");
	snprintf(dir, sizeof dir, "%s/t_out.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) return 1;
	test_group();
	test_abort();
	test_regular();
	test_lock();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0) diag("cannot remove %s", dir);
	printf("1..%u\n", ntest);
	return nfail != 0;
}
