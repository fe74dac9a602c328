/*
 * cicflow.h - CICFlowMeter's 84 CSV columns (CICFlowMeter-4.0, the names
 * of the CSE-CIC-IDS2018 CSVs), computed from a flow's PACKETS table:
 * either with the definitions flow-stats(1) gives (CICFLOWMETER), or, in
 * compat mode, reproducing the defects of CICFlowMeter's BasicFlow.java
 * and PacketReader.java that the same section lists.
 *
 * Columns 0 to 6 (Flow ID .. Timestamp) and 83 (Label) are the flow's
 * identity, printed by the caller; cic_compute fills the numeric columns
 * CIC_FIRST_NUM .. CIC_LAST_NUM.
 */
#ifndef FK_CICFLOW_H
#define FK_CICFLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "rec.h"

#define CIC_NCOLS 84
#define CIC_FLOW_ID 0
#define CIC_TIMESTAMP 6
#define CIC_FIRST_NUM 7 /* Flow Duration */
#define CIC_LAST_NUM 82 /* Idle Min */
#define CIC_LABEL 83

/* The name of column i (0 .. CIC_NCOLS - 1), e.g. "Tot Fwd Pkts". */
const char *cic_name(unsigned i);

/* A value: a number, nothing (no packet table), or Java's Infinity or NaN
 * (compat mode only). */
enum { CV_NUM, CV_EMPTY, CV_INF, CV_NAN };
struct cic_val {
	uint8_t t;
	double v;
};

struct cic_cfg {
	bool compat;
	uint64_t activity_us; /* CICFlowMeter's activity timeout: 5000000 */
	uint64_t flow_timeout_us; /* its flow timeout: 120000000 */
	uint64_t idle_ns;     /* default mode: the active/idle gap */
};

/*
 * cic_compute(f, pk, cfg, v): v[CIC_FIRST_NUM .. CIC_LAST_NUM] for flow f
 * and its PACKETS element pk (NULL: every per-packet column empty).
 */
void cic_compute(const struct rec_flow *f, const struct rec_elem *pk, const struct cic_cfg *cfg,
    struct cic_val v[CIC_NCOLS]);

/* cic_timestamp(ns, compat, out): the Timestamp text (at most 32 bytes):
 * "2017-07-07 13:58:07.123456" (UTC), or compat "07/07/2017 01:58:07 PM". */
int cic_timestamp(uint64_t ns, bool compat, char out[40]);

#endif
