/*
 * msg.c - messages, exit codes, unfinished outputs, progress (msg.h).
 */
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"

static const char *prog = "flowkit";

/* Read by the signal handler: plain pointers, set and cleared whole. */
static const char *volatile unfinished[MSG_MAX_UNFINISHED];

static void remove_unfinished(void)
{
	size_t i;

	for (i = 0; i < MSG_MAX_UNFINISHED; i++)
		if (unfinished[i]) unlink(unfinished[i]);
}

static void on_signal(int sig)
{
	remove_unfinished();
	signal(sig, SIG_DFL);
	raise(sig);
}

void msg_init(const char *name)
{
	prog = name;
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGXFSZ, SIG_IGN);
}

const char *msg_prog(void) { return prog; }

void msg_vwarn(const char *fmt, va_list ap)
{
	char m[1024];

	msg_progress_end();
	vsnprintf(m, sizeof m, fmt, ap);
	fprintf(stderr, "%s: %s\n", prog, m);
}

void msg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vwarn(fmt, ap);
	va_end(ap);
}

void msg_exit(int status)
{
	remove_unfinished();
	exit(status);
}

void msg_die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vwarn(fmt, ap);
	va_end(ap);
	msg_exit(status);
}

int msg_unfinished_add(const char *path)
{
	size_t i;

	for (i = 0; i < MSG_MAX_UNFINISHED; i++)
		if (unfinished[i] == NULL) {
			unfinished[i] = path;
			return 0;
		}
	return -1;
}

void msg_unfinished_remove(const char *path)
{
	size_t i;

	for (i = 0; i < MSG_MAX_UNFINISHED; i++)
		if (unfinished[i] == path) unfinished[i] = NULL;
}

static int progress_tty = -1;
static bool progress_drawn;
static struct timespec progress_last;

void msg_progress(const char *what, uint64_t done, uint64_t total)
{
	struct timespec now;
	long ms;

	if (progress_tty < 0) progress_tty = isatty(2);
	if (!progress_tty) return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - progress_last.tv_sec) * 1000 + (now.tv_nsec - progress_last.tv_nsec) / 1000000;
	if (progress_drawn && ms < 250) return;
	progress_last = now;
	if (total)
		fprintf(stderr, "\r%s: %s: %llu/%llu (%.0f%%)\033[K", prog, what,
		    (unsigned long long)done, (unsigned long long)total, 100.0 * (double)done / (double)total);
	else
		fprintf(stderr, "\r%s: %s: %llu\033[K", prog, what, (unsigned long long)done);
	progress_drawn = true;
}

void msg_progress_end(void)
{
	if (progress_drawn) {
		fputs("\r\033[K", stderr);
		progress_drawn = false;
	}
}
