/* Counter reports of a running or finished datapath, as text or JSON. */
#ifndef FL_TOOLS_REPORT_H
#define FL_TOOLS_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "datapath/dp.h"

/* Ports, drops by reason, parse errors by reason, worker counters and rate. */
void fl_report_print(FILE *out, struct fl_dp *dp, const struct fl_worker *w,
		     uint64_t elapsed_ns, int json);
/* Print the fatal errors ports recorded (a truncated pcap...); returns how many. */
unsigned fl_report_port_errors(FILE *out, const struct fl_dp *dp);

#endif
