/* flowlane replay: a capture through a rule set, one pcap per port out. */
#ifndef FL_TOOLS_REPLAY_H
#define FL_TOOLS_REPLAY_H

/* `flowlane replay ...` with argv[0] = "replay". Returns the exit status:
 * 0 done, 1 bad input or a failure while running, 2 bad usage. */
int flowlane_replay_main(int argc, char **argv);

#endif
