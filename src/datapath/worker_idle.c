/* A worker between bursts: how long it polls on, when it sleeps, and which
 * fds it sleeps on (the poll loop itself is worker.c).
 *
 * A worker busy-polls while bursts arrive.
 * Once FL_WORKER_IDLE_SPINS passes found nothing and FL_WORKER_POLL_US have
 * passed since the last packet, it sleeps in epoll on the rx queues' fds, or
 * for FL_WORKER_NAP_US when a queue has no fd (a pcap or generator port), so
 * an idle switch costs no CPU.
 *
 * Why poll for a while (20 ms) rather than sleep at once: a packet that
 * finds the worker asleep pays for waking its CPU, and on a VM whose idle
 * vCPUs halt that is the whole latency budget. Measured on the 2-vCPU
 * development VM (kernel 6.18, cpuidle none: HLT): an eventfd ping-pong
 * between threads on two CPUs, 116 us p50 per round trip (two wakeups),
 * against 9 us on one CPU. ping -i 0.01 (200 per run) through two afpacket
 * ports, worker on CPU 1, each run interleaved with one through a Linux
 * bridge in the same namespaces: bridge 41..61 us p50; worker sleeping
 * after 256 empty polls 151..289 us; polling through the 10 ms gaps 45..65
 * us (94..145 in spells when the host was busy, bridge 41..59 then). The
 * price is CPU while traffic trickles: a packet every 10 ms keeps a core
 * busy (97%); after FL_WORKER_POLL_US without one the worker sleeps (idle
 * switch: 0.2%). Bulk traffic does not notice (iperf3 TCP 8.2..9.6 Gbit/s
 * polling, 8.4..9.2 not, interleaved). Setting "idle-poll-us" trades one
 * for the other; the window gives way to other threads (fl_worker__poll_window_over).
 */
#define _LGPL_SOURCE /* inline QSBR read-side primitives (liburcu, LGPL) */
#include <urcu-qsbr.h>

#include "datapath/dp.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/time.h"
#include "datapath/worker_private.h"

/* CPU share while the poll window lasts: see fl_worker__poll_window_over */
#define FL_WORKER_GAP_LOST_NS 50000u        /* a gap this long ran someone else */
#define FL_WORKER_SHARE_INTERVAL_NS 10000000u /* share judged every 10 ms ... */
#define FL_WORKER_SHARE_LOST_DIV 4u         /* ... over 20: a quarter lost is sharing */
#define FL_WORKER_SHARE_FROM_NS 1000000u    /* ... from 1 ms into the window */

/* The rx queue fds are in the epoll set only while the worker may sleep.
 * A socket with a waiter on its wait queue runs the epoll callback for every
 * frame it receives (a lock taken with interrupts off, in the sender's
 * context), so a polling worker takes itself off: sleep arms, a wake by
 * traffic disarms. An idle worker stays armed through its timeouts, and a
 * busy one pays 2 syscalls per queue per sleep, not 1 callback per frame.
 * Adding an fd that is already readable reports it at once (level-triggered),
 * so nothing that came while disarmed is slept through. Returns 0 or the
 * first -errno (the queue is then polled, but cannot wake the worker). */
static int rx_fds_arm(struct fl_worker *w)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int ret = 0;
	unsigned i;

	for (i = 0; i < w->n_rxqs; i++) {
		int fd;

		if (w->armed_fd[i] >= 0 || w->muted[i])
			continue;
		fd = fl_port_wait_fd(w->rxqs[i].port, w->rxqs[i].queue);
		if (fd < 0)
			continue;
		ev.data.u32 = i;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			if (!ret)
				ret = -errno;
			continue;
		}
		w->armed_fd[i] = fd;
		w->fds_armed = true;
	}
	return ret;
}

/* A new epoll set for new rx queues: the wake eventfd, then every queue's
 * fd, armed (the worker may be about to sleep). */
int fl_worker__arm_epoll(struct fl_worker *w)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
	unsigned i;
	int epfd;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, w->wake_fd, &ev) < 0) {
		int err = -errno;

		close(epfd);
		return err;
	}
	if (w->epfd >= 0)
		close(w->epfd);
	w->epfd = epfd;
	w->nap = false;
	w->fds_armed = false;
	for (i = 0; i < w->n_rxqs; i++) {
		w->armed_fd[i] = -1;
		w->muted[i] = false;
		w->nap |= fl_port_wait_fd(w->rxqs[i].port, w->rxqs[i].queue) < 0;
	}
	return rx_fds_arm(w);
}

static void rx_fd_disarm(struct fl_worker *w, unsigned i)
{
	if (w->armed_fd[i] < 0)
		return;
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->armed_fd[i], NULL);
	w->armed_fd[i] = -1;
}

void fl_worker__rx_fds_disarm(struct fl_worker *w)
{
	unsigned i;

	for (i = 0; i < w->n_rxqs; i++)
		rx_fd_disarm(w, i);
	w->fds_armed = false;
}

void fl_worker__sleep(struct fl_worker *w)
{
	struct epoll_event evs[8];
	int timeout_ms = w->nap ? 0 : (int)w->sleep_ms, n, i;
	uint64_t drain;

	fl_counter_inc(&w->stats.sleeps);
	/* announce the sleep, then look at the steering rings once more (see
	 * rps_steer for the other side) */
	atomic_store(&w->sleeping, true);
	if (fl_worker__rps_pending(w)) {
		atomic_store(&w->sleeping, false);
		return;
	}
	(void)rx_fds_arm(w); /* a queue that cannot be armed is still polled */
	/* asleep, the worker holds no RCU references: let grace periods pass */
	rcu_thread_offline();
	if (w->nap) {
		/* a queue without an fd: look again after a short nap, but still wake
		 * at once for a stop or for traffic on the queues that have fds */
		n = epoll_wait(w->epfd, evs, FL_ARRAY_SIZE(evs), timeout_ms);
		if (n > 0)
			goto drain_stop;
		/* naps grow while nothing comes (up to the longest sleep), so an
		 * idle switch with such ports costs next to no CPU either */
		usleep(w->nap_us);
		if (w->nap_us < w->sleep_ms * 1000u / 2)
			w->nap_us *= 2;
		goto online;
	}
	n = epoll_wait(w->epfd, evs, FL_ARRAY_SIZE(evs), timeout_ms);
	if (n <= 0)
		goto online;
drain_stop:
	for (i = 0; i < n; i++) {
		unsigned q = evs[i].data.u32;

		if (q >= w->n_rxqs)
			continue; /* the wake eventfd */
		/* a queue whose interface vanished reports an error until the
		 * link monitor takes it off this worker: stop listening to it
		 * rather than spin */
		if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
			rx_fd_disarm(w, q);
			w->muted[q] = true;
		}
	}
	if (read(w->wake_fd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
		goto online;
online:
	rcu_thread_online();
	atomic_store(&w->sleeping, false);
}

/* The time the calling thread has spent waiting on a run queue while other
 * threads had its CPU (the second field of its schedstat), or false where
 * the kernel does not keep it (CONFIG_SCHED_INFO off). */
static bool run_delay_ns(const struct fl_worker *w, uint64_t *ns)
{
	char buf[96], *end;
	ssize_t n;

	if (w->schedstat_fd < 0)
		return false;
	n = pread(w->schedstat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	(void)strtoull(buf, &end, 10); /* time on the CPU */
	*ns = strtoull(end, &end, 10);
	return *end == ' ';
}

/* Called by the worker thread itself: the schedstat file is per thread. */
void fl_worker__idle_enter(struct fl_worker *w)
{
	uint64_t ns;

	w->schedstat_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	if (w->schedstat_fd >= 0 && !run_delay_ns(w, &ns)) {
		close(w->schedstat_fd);
		w->schedstat_fd = -1;
	}
}

void fl_worker__idle_leave(struct fl_worker *w)
{
	if (w->schedstat_fd >= 0)
		close(w->schedstat_fd);
	w->schedstat_fd = -1;
}

/* Past idle_spins empty passes: time to sleep? While the window lasts, each
 * pass first lets anything else that wants this CPU have it (sched_yield).
 * Polling on a CPU another thread wants only takes from it, so the window
 * ends once a quarter of the last 20 ms (two 10 ms intervals) went to
 * others.
 *
 * What went to others is the thread's run_delay: time it was runnable, on
 * its run queue, while another thread ran. It is read once per interval
 * (one pread each 10 ms, in a window with no traffic), from 1 ms into the
 * window: under BBR TCP most windows ended sooner, and reading at their
 * start cost 10,800 preads a second (1.1 us each here). It is not the time
 * between passes: on a VM the hypervisor takes the vCPU away too, often for
 * 50 us and more on this project's VMs, and sleeping gives that time to
 * nobody; it only makes the next packet pay for waking the worker. Without
 * schedstat the gaps are all there is: a gap of FL_WORKER_GAP_LOST_NS or
 * more counts as lost.
 *
 * Why a share over time and not slow yields in a row: how a yield hands
 * over depends on the scheduler. With one CPU hog beside it, a yield here
 * (kernel 6.18, EEVDF) gave the hog a whole 3-6 ms tick nearly every time
 * (~100% lost); CFS lets the yielder run on with fast yields until its
 * vruntime catches up, so slow yields come one between many fast ones (~50%
 * lost). (One vDSO clock read per pass, ~26 ns here.) */
bool fl_worker__poll_window_over(struct fl_worker *w, unsigned idle, uint64_t idle_since)
{
	uint64_t now = fl_time_ns(), len, delay;

	if (now - idle_since >= __atomic_load_n(&w->poll_ns, __ATOMIC_RELAXED))
		return true;
	if (idle == w->idle_spins)
		memset(&w->share, 0, sizeof(w->share));
	if (!w->share.start) {
		/* measured from FL_WORKER_SHARE_FROM_NS into the window: most
		 * windows under load end sooner, and need no pread */
		if (now - idle_since >= FL_WORKER_SHARE_FROM_NS) {
			w->share.start = w->share.last_pass = now;
			(void)run_delay_ns(w, &w->share.run_delay);
		}
		sched_yield();
		return false;
	}
	if (w->schedstat_fd < 0 && now - w->share.last_pass >= FL_WORKER_GAP_LOST_NS)
		w->share.lost += now - w->share.last_pass;
	w->share.last_pass = now;
	len = now - w->share.start;
	if (len >= FL_WORKER_SHARE_INTERVAL_NS) {
		if (w->schedstat_fd >= 0 && run_delay_ns(w, &delay)) {
			w->share.lost = delay - w->share.run_delay;
			w->share.run_delay = delay;
		}
		if ((w->share.prev_lost + w->share.lost) * FL_WORKER_SHARE_LOST_DIV >=
		    w->share.prev_len + len) {
			fl_counter_inc(&w->stats.polls_cut_short);
			return true;
		}
		w->share.prev_len = len;
		w->share.prev_lost = w->share.lost;
		w->share.lost = 0;
		w->share.start = now;
	}
	sched_yield();
	return false;
}
