/*
 * pic.h - small greyscale pictures written as PNG with libpng: a contact
 * sheet of dataset images, one row per class, each row labelled; in grey
 * or in colour.
 */
#ifndef FK_PIC_H
#define FK_PIC_H

#include <stdint.h>

#include "out.h"

/*
 * pic_contact_sheet(o, img, labels, counts, nrow, per_row, rows, cols):
 * write an 8-bit greyscale PNG to the open output o (out_open); the
 * caller commits or aborts o, so the picture can join a group.  Row r shows counts[r] (at most per_row) images of rows x cols
 * bytes stored one after the other at img[r], with labels[r] at its left
 * (in a small upper-case font: letters, digits, "_-.()", the first 24
 * characters).  Byte values are grey levels, 0 black.  The caller keeps
 * the buffers.  0 ok; -1 after a message.
 */
int pic_contact_sheet(struct out_file *o, const uint8_t *const *img, const char *const *labels,
    const unsigned *counts, unsigned nrow, unsigned per_row, uint32_t rows, uint32_t cols);

/* pic_contact_sheet_rgb: the same with images of rows x cols RGB pixels
 * (3 bytes each, rows x cols x 3 bytes per image). */
int pic_contact_sheet_rgb(struct out_file *o, const uint8_t *const *img, const char *const *labels,
    const unsigned *counts, unsigned nrow, unsigned per_row, uint32_t rows, uint32_t cols);

#endif
