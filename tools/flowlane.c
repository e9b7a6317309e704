/* flowlane: the switch.
 *
 *   flowlane [options]          the daemon, programmed at run time by flowctl
 *   flowlane run [options]      the one-shot switch: ports and flows from the
 *                               command line, counters at exit
 *   flowlane replay [options]   a capture through a rule set, one pcap per port
 *
 * Subcommands are the first argument; anything else is the daemon's. */
#include <string.h>

#include "core/heap.h"
#include "replay.h"
#include "tools.h"

static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
} subcommands[] = {
	{"run", fl_tool_run},
	{"replay", flowlane_replay_main},
};

int main(int argc, char **argv)
{
	unsigned i;

	/* Flow tables are built from many small allocations: keep them on
	 * huge pages (core/heap.h has the figures). */
	fl_heap_use_huge_pages();
	if (argc > 1)
		for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
			if (!strcmp(argv[1], subcommands[i].name))
				return subcommands[i].main(argc - 1, argv + 1);
	return fl_tool_daemon(argc, argv);
}
