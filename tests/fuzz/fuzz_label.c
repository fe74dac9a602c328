/*
 * fuzz_label.c - libFuzzer harness for the label grammar (common/label.c):
 * the input is read as a keyword map, as a class file and as a
 * classes.txt.  Whatever was accepted must match without fault, and a
 * class table must read back from its own classes.txt with the same
 * names and ids.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "label.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *stream(const uint8_t *data, size_t size)
{
	FILE *fp = tmpfile();

	if (fp == NULL || (size && fwrite(data, 1, size, fp) != size)) abort();
	rewind(fp);
	return fp;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[LABEL_ERRLEN];
	struct label_map m = { 0 };
	int cols;
	FILE *fp = stream(data, size);

	if (label_map_read(&m, fp, "fuzz", err, sizeof err) == 0) {
		size_t i;

		for (i = 0; i < m.n; i++)
			if (label_map_match(&m, m.v[i].kw) == NULL) abort(); /* a keyword finds itself */
	} else if (strncmp(err, "fuzz: ", 6) != 0) {
		abort();
	}
	label_map_free(&m);
	fclose(fp);
	for (cols = LABEL_NAME_ID; cols <= LABEL_ID_NAME; cols++) {
		struct label_classes t = { 0 }, u = { 0 };
		size_t i;

		fp = stream(data, size);
		if (label_classes_read(&t, fp, "fuzz", (enum label_cols)cols, err, sizeof err) == 0) {
			FILE *out = tmpfile();

			if (out == NULL || label_classes_write(&t, out) < 0) abort();
			rewind(out);
			if (label_classes_read(&u, out, "again", LABEL_ID_NAME, err, sizeof err) < 0 || u.n != t.n)
				abort();
			for (i = 0; i < t.n; i++) {
				const struct label_class *c = label_class_lookup(&u, t.v[i].name, t.v[i].len);

				if (c == NULL || c->id != t.v[i].id) abort();
			}
			fclose(out);
		}
		fclose(fp);
		label_classes_free(&t);
		label_classes_free(&u);
	}
	return 0;
}
