/* A worker's place on its queues' wait lists, against a real TAP device.
 *
 * An fd in an epoll set puts the epoll instance on the socket's (or tun's)
 * wait queue, and the kernel then runs the epoll callback for every frame it
 * queues, in the sender's context. A worker that is polling has no use for
 * that: it must have its rx fds in its epoll set while it may sleep and only
 * then. The test counts the fds in the process's epoll instances
 * (/proc/self/fdinfo, "tfd:" lines): asleep, the wake eventfd and the TAP
 * queue; while frames keep coming, the eventfd alone; asleep again after the
 * traffic, both; and a frame sent to a sleeping worker still wakes it.
 * Then, that a poll window is not cut short by time no other thread took.
 *
 * Frames come from an AF_PACKET socket bound to the TAP device (the kernel
 * transmits them into the tun queue the port reads). The test moves itself
 * into a network namespace of its own first. Without root, /dev/net/tun or
 * unshare it exits 77 (skipped) and says why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "core/time.h"
#include "datapath/dp.h"

#define WINDOW_US 40000u   /* the worker's poll window after traffic */
#define WAIT_MS 3000u      /* longest wait for a state change */
#define DEV "hwq0"

struct fixture {
	struct fl_dp *dp;
	struct fl_worker *w;
	pthread_t thread;
	int pkt_fd;   /* AF_PACKET, bound to DEV: frames into the port */
	int ifindex;
};

/* fds registered in the process's epoll instances (only the worker's here) */
static unsigned epoll_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[300], target[64], line[256];
		ssize_t len;
		FILE *fi;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, "anon_inode:[eventpoll]") != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%s", e->d_name);
		fi = fopen(path, "r");
		if (!fi)
			continue;
		while (fgets(line, sizeof(line), fi))
			n += strncmp(line, "tfd:", 4) == 0;
		fclose(fi);
	}
	closedir(d);
	return n;
}

/* Wait up to WAIT_MS for epoll_fds() == want; returns the last count. */
static unsigned wait_epoll_fds(unsigned want)
{
	uint64_t end = fl_time_ns() + WAIT_MS * 1000000ull;
	unsigned n;

	while ((n = epoll_fds()) != want && fl_time_ns() < end)
		usleep(1000);
	return n;
}

static void send_frame(struct fixture *f, unsigned i)
{
	uint8_t frame[60] = {0x02, 0, 0, 0, 0x77, 0x01, 0x02, 0, 0, 0, 0x77, 0x02, 0x88, 0xb5};
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = f->ifindex,
				 .sll_halen = ETH_ALEN};

	memcpy(frame + 14, &i, sizeof(i));
	memcpy(to.sll_addr, frame, ETH_ALEN);
	assert_int_equal(sendto(f->pkt_fd, frame, sizeof(frame), 0, (struct sockaddr *)&to,
				sizeof(to)),
			 sizeof(frame));
}

static uint64_t worker_packets(const struct fixture *f)
{
	struct fl_worker_stats st;

	fl_worker_get_stats(f->w, &st);
	return st.packets;
}

/* Send frame i and wait (at most WAIT_MS) until the worker has read it. */
static void send_frame_read(struct fixture *f, unsigned i)
{
	uint64_t before = worker_packets(f);
	unsigned ms;

	send_frame(f, i);
	for (ms = 0; ms < WAIT_MS && worker_packets(f) == before; ms++)
		usleep(1000);
	assert_true(worker_packets(f) > before);
}

static void *run(void *arg)
{
	fl_worker_run(arg, false);
	return NULL;
}

static int setup(void **state)
{
	static struct fixture f;
	char err[256];
	struct fl_rxq_ref rxq;

	memset(&f, 0, sizeof(f));
	f.dp = fl_dp_create(&(struct fl_dp_params){.n_bufs = 1024, .huge = FL_POOL_HUGE_NEVER});
	assert_non_null(f.dp);
	if (fl_dp_add_port(f.dp, "t0", 1, "tap:" DEV, err, sizeof(err)) < 0)
		fail_msg("tap:%s: %s", DEV, err);
	f.ifindex = (int)if_nametoindex(DEV);
	assert_true(f.ifindex > 0);
	f.pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	assert_true(f.pkt_fd >= 0);
	f.w = fl_worker_create_idle(f.dp, 0);
	assert_non_null(f.w);
	rxq = (struct fl_rxq_ref){fl_dp_find_port(f.dp, "t0"), 0, false};
	assert_non_null(rxq.port);
	assert_int_equal(fl_worker_set_rxqs(f.w, &rxq, 1), 0);
	fl_worker_set_poll_us(f.w, WINDOW_US);
	assert_int_equal(pthread_create(&f.thread, NULL, run, f.w), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fl_worker_stop(f->w);
	pthread_join(f->thread, NULL);
	fl_worker_destroy(f->w);
	close(f->pkt_fd);
	fl_dp_destroy(f->dp);
	return 0;
}

static void test_rx_fds_listened_to_only_while_asleep(void **state)
{
	struct fixture *f = *state;
	unsigned i, polling = 0, samples = 0;
	uint64_t before;

	/* idle: asleep with both fds */
	assert_int_equal(wait_epoll_fds(2), 2);

	/* a frame every 2 ms, well inside the poll window: the worker stays
	 * awake and off the tun's wait queue */
	before = worker_packets(f);
	for (i = 0; i < 100; i++) {
		send_frame(f, i);
		usleep(2000);
		if (i >= 10) {
			samples++;
			polling += epoll_fds() == 1;
		}
	}
	if (polling * 2 < samples)
		fail_msg("rx fd in the epoll set in %u of %u samples while traffic flowed",
			 samples - polling, samples);
	/* every frame was read (and dropped: no flows), besides what the
	 * kernel itself sends on a new link (IPv6 neighbour discovery) */
	for (i = 0; i < 1000 && worker_packets(f) - before < 100; i++)
		usleep(1000);
	assert_true(worker_packets(f) - before >= 100);

	/* the window passes: asleep again, listening */
	assert_int_equal(wait_epoll_fds(2), 2);

	/* and a frame wakes the sleeping worker */
	send_frame_read(f, 1000);
}

static void stall(struct fl_worker *w, void *arg)
{
	(void)w;
	usleep(*(const unsigned *)arg);
}

static void get_tid(struct fl_worker *w, void *arg)
{
	(void)w;
	*(pid_t *)arg = gettid();
}

/* The time thread tid waited on its run queue while others ran (ns). */
static uint64_t run_delay_of(pid_t tid)
{
	char path[64];
	unsigned long long on_cpu = 0, delay = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%llu %llu", &on_cpu, &delay), 2);
	fclose(fp);
	return delay;
}

/* Time the worker's thread is off its CPU without another thread wanting
 * it is not time given to others: the poll window goes on. Here the worker
 * is stalled in calls (as when the hypervisor takes the vCPU away): 4 ms of
 * every 8, twice the share that ends a window on a CPU shared with another
 * thread (test_switch: test_worker_stops_polling_when_its_cpu_is_shared).
 * Where other threads do take the worker's CPU (a loaded machine), ending
 * the window is right and the round says nothing: it is measured again. */
static void test_window_outlasts_time_no_thread_took(void **state)
{
	struct fixture *f = *state;
	struct fl_worker_stats before, after;
	unsigned stall_us = 4000, i, round;
	uint64_t delay, t0, elapsed, cuts;
	pid_t tid = 0;

	if (access("/proc/thread-self/schedstat", R_OK) != 0) {
		printf("SKIP: no /proc/thread-self/schedstat (CONFIG_SCHED_INFO)\n");
		skip();
	}
	/* asleep first, with the short window: the kernel sends a new link's
	 * neighbour discovery at random moments, and a frame that came after
	 * the window grew to 10 s would keep the worker polling past the wait */
	assert_int_equal(wait_epoll_fds(2), 2);
	fl_worker_set_poll_us(f->w, 10000000);
	send_frame_read(f, 1);
	assert_int_equal(fl_worker_call(f->w, get_tid, &tid, WAIT_MS), 0);
	for (round = 0; round < 5; round++) {
		fl_worker_get_stats(f->w, &before);
		delay = run_delay_of(tid);
		t0 = fl_time_ns();
		for (i = 0; i < 50; i++) {
			assert_int_equal(fl_worker_call(f->w, stall, &stall_us, WAIT_MS), 0);
			usleep(stall_us);
		}
		fl_worker_get_stats(f->w, &after);
		delay = run_delay_of(tid) - delay;
		elapsed = fl_time_ns() - t0;
		if (after.polls_cut_short == before.polls_cut_short)
			break;
		/* cut short: only right if others took its CPU. A cut needs a
		 * quarter of 20 ms (5 ms) waited on the run queue; half that per
		 * cut leaves room for a window that began before the round */
		cuts = after.polls_cut_short - before.polls_cut_short;
		if (delay < cuts * 2500000u)
			fail_msg("window cut short %llu times in %llu ms, but the worker waited for "
				 "its CPU only %llu us",
				 (unsigned long long)cuts, (unsigned long long)(elapsed / 1000000),
				 (unsigned long long)(delay / 1000));
		if (after.sleeps != before.sleeps) /* a cut window ends in a nap: poll again */
			send_frame_read(f, 2 + round);
	}
	if (round == 5) {
		print_message("other threads took the worker's CPU in every round: nothing to "
			      "measure\n");
		fl_worker_set_poll_us(f->w, WINDOW_US);
		skip();
	}
	assert_int_equal(after.sleeps, before.sleeps);
	assert_int_equal(epoll_fds(), 1); /* still polling */
	fl_worker_set_poll_us(f->w, WINDOW_US);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rx_fds_listened_to_only_while_asleep, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_window_outlasts_time_no_thread_took, setup,
						teardown),
	};

	if (geteuid() != 0) {
		printf("SKIP: needs root (a TAP device in a namespace of its own)\n");
		return 77;
	}
	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		printf("SKIP: /dev/net/tun: %s\n", strerror(errno));
		return 77;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		printf("SKIP: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
