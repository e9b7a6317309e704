/* Waiting for a port's link state in the port tests. */
#ifndef FL_TEST_PORT_LINK_H
#define FL_TEST_PORT_LINK_H

#include <stdbool.h>
#include <unistd.h>

#include "port/port.h"

/* The carrier reaches IFF_RUNNING through the kernel's link watch, a work
 * item that runs after `ip link` has returned, going down as well as up: a
 * look straight after the command can still see the old state, and on a busy
 * machine link watch may take up to a second. True once the port's link is
 * up (or down), looking every 10 ms for at most timeout_ms. */
static inline bool port_link_becomes(struct fl_port *port, bool up, unsigned timeout_ms)
{
	unsigned t;

	for (t = 0; t < timeout_ms; t += 10) {
		if (fl_port_link_up(port) == up)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

#endif
