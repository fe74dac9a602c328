/*
 * cap.h - the capture reader: pcap and pcapng files (from a path, a file
 * descriptor, a pipe or memory) and live interfaces, one packet at a time.
 *
 * Files are read by this module with large read(2) calls into a buffer it
 * owns; libpcap is used only for live capture and for compiling BPF filters
 * (libpcap 1.10 refuses pcapng files whose interfaces differ in link type or
 * snapshot length, and its stdio reads are the slow part of a read loop).
 * A reader can also lend its buffers (cap_lend), for packets handed to
 * another thread without copying their bytes.
 *
 * Typical use, one input after another:
 *
 *	struct cap *c = cap_open(path);          // NULL only when out of memory
 *	struct cap_pkt pk;
 *	int rc;
 *	while ((rc = cap_next(c, &pk)) == CAP_OK)
 *		use(pk.data, pk.caplen, pk.linktype, pk.ts);
 *	if (rc == CAP_TRUNC || rc == CAP_ERR)     // both end the input
 *		msg_warn("%s", cap_errmsg(c));      // "file: offset N: what"
 *	cap_close(c, &stats);
 *
 * pcap (pcap-savefile(5)): a 24-byte file header, then records.
 *
 *	off  size  file header                    off  size  record header
 *	  0     4  magic a1b2c3d4 (us) or           0     4  seconds
 *	           a1b23c4d (ns), either order,     4     4  microseconds/nanoseconds
 *	           or a1b2cd34 ("modified", us,     8     4  captured length (incl_len)
 *	           24-byte record headers)         12     4  length on the wire
 *	  4     2  major version (must be 2)       (16     8  modified pcap only:
 *	  6     2  minor version                              ifindex, protocol, type, pad)
 *	  8     8  reserved (time zone, sigfigs)   16  incl  packet bytes
 *	 16     4  snapshot length
 *	 20     4  link type: bits 0-15 LINKTYPE_ value, 16-25 reserved,
 *	           26 FCS length present, 28-31 FCS length in 16-bit words
 *
 * Reserved link-type bits set are an error (as in libpcap's and Wireshark's
 * readers): their meaning is unknown, so the packets cannot be trusted to be
 * of the low 16 bits' type.  A record may hold up to CAP_MAX_PKT bytes, or up
 * to the snapshot length when that is larger and at most CAP_MAX_BLOCK; a
 * larger captured length is an error at the record's offset (the length is
 * never used to allocate).
 *
 * pcapng (draft-ietf-opsawg-pcapng): blocks of
 *
 *	off     size  block
 *	  0        4  type
 *	  4        4  total length L (multiple of 4, 12 <= L <= CAP_MAX_BLOCK)
 *	  8     L-12  body
 *	L-4        4  total length again
 *
 * in the byte order of the section, set by each Section Header Block
 * (0x0A0D0D0A, byte-order magic 0x1A2B3C4D, version 1.x, section length
 * ignored, -1 allowed).  Interface Description Blocks (1) give the link
 * type, snapshot length and the options if_tsresol (9; a power of 10, or of
 * 2 when the top bit is set), if_fcslen (13) and if_tsoffset (14, seconds).
 * Packets come from Enhanced (6), Simple (3) and obsolete Packet Blocks (2);
 * every other block (name resolution, statistics, decryption secrets,
 * custom, unknown) is length-checked and skipped.  Interfaces of different
 * link types and snapshot lengths may be mixed freely: each packet carries
 * the link type of its interface.  if_fcslen is taken as bytes (as
 * Wireshark does), except 16 and 32, which can only be bits.
 *
 * Time stamps become nanoseconds since 1970 in an int64_t: pcap seconds
 * are unsigned 32-bit (libpcap makes them signed; Wireshark and the spec
 * do not), fractions finer than 1 ns are truncated, and a time past the
 * year 2262 (only in damaged files) wraps modulo 2^64 ns, which keeps the
 * differences between packets.  Old pcap files (version 2.2 and older, and
 * 2.3 when incl_len > orig_len) have the two lengths swapped: as libpcap,
 * the reader swaps them back.
 */
#ifndef FK_CAP_H
#define FK_CAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Results of cap_next (and cap_status). */
enum {
	CAP_OK = 0,      /* *pkt holds a packet */
	CAP_EOF = 1,     /* clean end of input (or cap_breakloop on a live capture) */
	CAP_TIMEOUT = 2, /* live only: nothing arrived within the read timeout; call again */
	CAP_TRUNC = 3,   /* input ended inside a record or header: a warning; every
	                    complete packet before it was returned; the input is done */
	CAP_ERR = 4      /* bad data or an I/O error: cap_errmsg() says what and where;
	                    the input is done */
};

enum { CAP_FMT_NONE = 0, CAP_FMT_PCAP, CAP_FMT_PCAPNG, CAP_FMT_LIVE };

#define CAP_MAX_PKT (256u * 1024)          /* usual largest record (libpcap's) */
#define CAP_MAX_BLOCK (16u * 1024 * 1024)  /* largest pcapng block or pcap record */
#define CAP_BUFSIZE (1u * 1024 * 1024)     /* the read buffer; grows only for larger blocks */

/* cap_pkt.flags */
#define CAP_PKT_NOTS 0x01 /* no time stamp in the file (Simple Packet Block): ts is 0 */
#define CAP_PKT_BE 0x02   /* written by a big-endian host (the file's or section's byte
                             order; live: this host's): link-layer fields stored in
                             the writer's order (BSD loopback family, NFLOG TLV
                             lengths) are big-endian */

/*
 * One packet.  data points into the reader's buffer (or into the memory
 * given to cap_open_mem) and stays valid until the next cap_next or
 * cap_close on the same reader (a lending reader's: while its buffer is
 * held, see cap_lend).
 */
struct cap_pkt {
	const uint8_t *data; /* caplen bytes */
	int64_t ts;          /* nanoseconds since 1970-01-01 00:00:00 UTC */
	uint64_t offset;     /* file offset of the record (pcap) or block (pcapng) */
	uint32_t caplen;     /* bytes in data */
	uint32_t wirelen;    /* length on the wire as recorded (may be < caplen in bad files) */
	uint32_t ifindex;    /* interface: counted over the whole file (0 for pcap and live) */
	uint16_t linktype;   /* LINKTYPE_ value of the packet's interface */
	int8_t fcslen;       /* bytes of FCS at the end of data; -1 unknown */
	uint8_t flags;       /* CAP_PKT_* */
};

/* What is known about an interface of the current pcapng section (or the pcap file). */
struct cap_iface {
	uint32_t section;  /* 0-based pcapng section number */
	uint32_t local_id; /* the id packets of that section use */
	uint32_t snaplen;  /* 0: none given */
	uint16_t linktype;
	int8_t fcslen;     /* bytes; -1 unknown */
	uint8_t tsresol;   /* if_tsresol as written (6 when absent) */
	int64_t tsoffset;  /* if_tsoffset, seconds */
};

/* Counters, kept as packets are returned; see cap_close. */
struct cap_stats {
	uint64_t packets;     /* returned by cap_next */
	uint64_t bytes;       /* captured bytes of those packets */
	uint64_t wire_bytes;  /* their lengths on the wire */
	uint64_t truncated;   /* packets with caplen < wirelen (cut by the snapshot length) */
	uint64_t bytes_read;  /* input bytes consumed, headers included */
	uint64_t sections;    /* pcapng section headers */
	uint64_t interfaces;  /* pcapng interface descriptions (1 for pcap and live) */
	uint64_t skipped;     /* pcapng blocks that are not packets, skipped */
	/* Live captures only (libpcap's pcap_stats at close); 0 otherwise. */
	uint64_t recv, drop, ifdrop;
};

struct cap;

/*
 * cap_open(path): open a capture file; NULL or "-" is stdin (a terminal is
 * refused).  Whatever the way in, a gzip, zstd or xz input (known by its
 * magic number, see zread.h) is decompressed as it is read.  cap_open_fd(fd, name): read an open descriptor, which the
 * reader takes over and closes.  cap_open_mem(p, n, name): read n bytes at
 * p, not copied (p must outlive the reader; for fuzzers and tests).
 *
 * The file header is read before these return.  They return NULL only when
 * memory runs out; a failure to open or a bad header is kept in the reader:
 * cap_status() is then CAP_ERR (or CAP_TRUNC for a cut-off header) and
 * cap_errmsg() says why, and cap_next() returns the same.  The name is
 * copied and used in messages ("-" and NULL show as "stdin").
 */
struct cap *cap_open(const char *path);
struct cap *cap_open_fd(int fd, const char *name);
struct cap *cap_open_mem(const void *p, size_t n, const char *name);

/*
 * cap_open_live(iface, snaplen, promisc, bpf): capture on an interface with
 * libpcap (immediate mode, nanosecond time stamps when the system has them;
 * snaplen <= 0 means CAP_MAX_PKT).  bpf (may be NULL) is compiled for the
 * interface and installed in the kernel.  Errors are kept as for cap_open.
 * cap_next waits at most CAP_LIVE_TIMEOUT_MS (poll(2) on a non-blocking
 * handle) and then returns CAP_TIMEOUT, so stopping after a packet count or
 * a duration is the caller's loop.  cap_breakloop() may be called from a
 * signal handler: a waiting cap_next returns at once (EINTR), and it and
 * every later call return CAP_EOF.
 */
#define CAP_LIVE_TIMEOUT_MS 100
struct cap *cap_open_live(const char *iface, int snaplen, int promisc, const char *bpf);
void cap_breakloop(struct cap *c);

/* cap_next: the next packet into *pkt; returns one of CAP_OK ... CAP_ERR.
 * After a terminal result (EOF, TRUNC, ERR) it keeps returning it. */
int cap_next(struct cap *c, struct cap_pkt *pkt);

/* cap_status: CAP_OK while packets may follow, else the terminal result. */
int cap_status(const struct cap *c);
/* cap_errmsg: "NAME: offset N: what" (or "NAME: what" when no offset
 * applies) for a CAP_TRUNC or CAP_ERR; "" otherwise.  Owned by the reader. */
const char *cap_errmsg(const struct cap *c);
/* cap_erroff: the byte offset in cap_errmsg, or -1 when there is none. */
int64_t cap_erroff(const struct cap *c);
const char *cap_name(const struct cap *c);
int cap_format(const struct cap *c);        /* CAP_FMT_* */
/* cap_compression: "gzip", "zstd" or "xz" when the input is compressed
 * (its packets then point into the reader's buffer and their offsets are
 * those of the decompressed bytes), NULL otherwise. */
const char *cap_compression(const struct cap *c);
/* cap_iface_info: what is known about the interface of a packet just
 * returned (ifindex from cap_pkt), valid until the next cap_next.
 * 0 ok, -1 unknown (an interface of an earlier pcapng section). */
int cap_iface_info(const struct cap *c, uint32_t ifindex, struct cap_iface *out);
/* cap_stats: the counters so far (live: libpcap's counters as of now). */
void cap_stats(const struct cap *c, struct cap_stats *st);
/* cap_close: release everything; when st is not NULL the final counters
 * are stored there first.  c may be NULL. */
void cap_close(struct cap *c, struct cap_stats *st);

/*
 * Lending the read buffers, to hand packets to another thread without
 * copying them.  cap_lend(c, wait, ctx): from now on a buffer packets
 * point into is not reused while it is held: when a record does not fit
 * in the rest of the current buffer, only its first part (shorter than a
 * record) is copied into another buffer of a pool of at most
 * CAP_LEND_BUFS, and reading goes on there.  The buffers held (with the
 * new one) stay within CAP_LEND_BYTES, unless only the current one is
 * held: while no buffer may be used, cap_next calls wait(ctx), on the
 * reader's thread, which returns once cap_lend_ready(c) (it must first
 * give away the holds its own thread keeps, or wait for ever).  Returns
 * 0 lending; 1 nothing to do, as packets point into memory that is never
 * reused (cap_open_mem); -1 it cannot (a live capture, whose buffer is
 * libpcap's, or out of memory): then packets stay valid only as before.
 * cap_lend(c, NULL, NULL) ends lending, once every hold is released.
 *
 * cap_buf(c, &start, &size): the buffer the packet cap_next just returned
 * points into: its number (0 .. CAP_LEND_BUFS-1), and its whole extent
 * (any pointer in [start, start + size) is in it); -1 when not lending.
 * cap_hold(c, i) adds a hold on buffer i, which must be the current one
 * (cap_buf's) or already held; cap_release(c, i) removes one, and may be
 * called on any thread (the bytes read there before it are read before
 * the buffer is written again).  cap_lend_ready(c): whether a wait may
 * end (on the reader's thread only).
 */
#define CAP_LEND_BUFS 16                   /* at most 32 (a caller may keep a bit mask) */
#define CAP_LEND_BYTES (16u * 1024 * 1024)
int cap_lend(struct cap *c, void (*wait)(void *ctx), void *ctx);
int cap_buf(const struct cap *c, const uint8_t **start, size_t *size);
void cap_hold(struct cap *c, int i);
void cap_release(struct cap *c, int i);
bool cap_lend_ready(const struct cap *c);

/*
 * BPF filters on every input, whatever its link types: the expression is
 * compiled with libpcap, as for a savefile, once per link type and byte
 * order (CAP_PKT_BE), when the first such packet is seen, and run with
 * pcap_offline_filter.
 *
 * cap_bpf_new(expr, err, errlen): NULL (with the reason in err) when the
 * expression compiles for none of the common link types (Ethernet, raw IP,
 * Linux cooked, BSD loopback), i.e. it is not a filter at all.
 * cap_bpf_match(f, pkt): 1 the packet passes, 0 it does not, -1 the
 * expression cannot be compiled for this packet's link type: the first time
 * for each such link type, with the reason in cap_bpf_errmsg(f); such
 * packets never pass (later ones return 0 silently).
 */
struct cap_bpf;
struct cap_bpf *cap_bpf_new(const char *expr, char *err, size_t errlen);
int cap_bpf_match(struct cap_bpf *f, const struct cap_pkt *pkt);
const char *cap_bpf_errmsg(const struct cap_bpf *f);
void cap_bpf_free(struct cap_bpf *f);

/* cap_linktype_to_dlt: the libpcap DLT_ value of a LINKTYPE_ value (they
 * differ for raw IP and a few BSD types); cap_dlt_to_linktype the reverse. */
int cap_linktype_to_dlt(int linktype);
int cap_dlt_to_linktype(int dlt);

#endif
