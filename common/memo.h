/*
 * memo.h - a bounded table of results by the bytes they were computed
 * from: a parser that meets the same input again (the certificate chain
 * of a popular server, the hello of a common browser) copies its earlier
 * output instead of computing it again.  The table is set-associative:
 * `sets` sets of MEMO_WAYS entries, an entry a copy of the key and of the
 * value (both at most `max` bytes together); a set is chosen by a hash of
 * the key's length and its first and last bytes, and a lookup compares
 * the whole key, so a hit returns exactly what was stored for those bytes.
 * When a set is full the oldest entry of it is replaced.  Memory: at most
 * sets * MEMO_WAYS entries, each allocated when first filled; the table
 * owns them, memo_free() gives them back.
 */
#ifndef FK_MEMO_H
#define FK_MEMO_H

#include <stddef.h>
#include <stdint.h>

#define MEMO_WAYS 4

struct memo;

/* memo_new(sets, max): an empty table, or NULL without memory. */
struct memo *memo_new(unsigned sets, size_t max);
void memo_free(struct memo *m);

/* memo_get(m, key, klen, &vlen): the value stored for these key bytes
 * (valid until the next memo_put), its length in *vlen; NULL if none. */
const uint8_t *memo_get(struct memo *m, const void *key, size_t klen, size_t *vlen);

/* memo_put(m, key, klen, val, vlen): remember val for key; nothing when
 * they are longer than max together or memory is short. */
void memo_put(struct memo *m, const void *key, size_t klen, const void *val, size_t vlen);

#endif
