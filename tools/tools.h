/* The parts of the flowlane program: `flowlane` (the daemon, daemon.c) and
 * `flowlane run` (the one-shot switch, run.c). flowlane.c dispatches. */
#ifndef FL_TOOLS_TOOLS_H
#define FL_TOOLS_TOOLS_H

#include <stdbool.h>

#include "datapath/dp.h"

int fl_tool_daemon(int argc, char **argv);
int fl_tool_run(int argc, char **argv);

/* run --trace: print how worker w handles a packet (flow text, or the hex
 * bytes of a frame received on in_port). 0 or a negative errno. */
int fl_run_trace(struct fl_dp *dp, struct fl_worker *w, const char *packet, bool hex,
		 unsigned in_port);

#endif
