/* The control socket server: one epoll loop on the control thread over the
 * listening socket, the clients, a 1 s timerfd (fl_control_tick) and a
 * signalfd for the stop signals.
 *
 * It never blocks on a client: sockets are non-blocking, each client has
 * an input buffer (requests are lines, at most FL_CTL_MAX_REQUEST bytes)
 * and an output buffer flushed as the socket takes it. A client that does
 * not read its replies stops being served (its input is left unread) once
 * SERVE_OUT_MAX bytes wait for it, so memory stays bounded while every
 * other client goes on. While a capture streams, the loop wakes every
 * STREAM_POLL_MS to move frames from the workers' rings to the client.
 *
 * Single instance: PATH.lock is held with flock() for the daemon's life,
 * so a second daemon on the same socket is refused with the first one's
 * pid, and a socket file left by a crash is known to be stale and replaced.
 * The lock file stays after exit (removing it would let two daemons lock
 * two different inodes of the same name).
 */
#include "control/control_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "core/time.h"

#define FL_LOG_MODULE "control"

#define MAX_CLIENTS 64
#define SERVE_OUT_MAX (16u << 20)  /* stop reading a client with this much unsent */
#define STREAM_OUT_MAX (1u << 20)  /* stop draining a capture above this */
#define STREAM_POLL_MS 20
#define READ_CHUNK 65536

enum { EV_LISTEN, EV_TIMER, EV_SIGNAL, EV_CLIENT };

struct client {
	int fd;
	uint32_t gen;
	uint32_t events;       /* what epoll watches now */
	char *in;
	size_t in_len, in_cap;
	size_t in_scanned;     /* bytes of in known to hold no newline */
	struct fl_jw out;
	size_t out_off;        /* bytes of out already sent */
	struct fl_ctl_session *session;
	bool closing;          /* close once out is sent */
	bool peer_closed;      /* read returned 0 */
};

struct fl_ctl_server {
	struct fl_control *ctl;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lock_fd, listen_fd, epfd, timer_fd, sig_fd;
	uint32_t next_gen;
	struct client *clients[MAX_CLIENTS];
};

static uint64_t ev_data(unsigned kind, unsigned slot, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint64_t)slot << 8 | kind;
}

static int listen_on(struct fl_ctl_server *srv, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	memcpy(addr.sun_path, srv->path, strlen(srv->path) + 1);
	/* we hold the lock: a socket file there is a crashed daemon's */
	if (unlink(srv->path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove the old socket %s: %s", srv->path,
			 strerror(errno));
		return -errno;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    chmod(srv->path, 0660) < 0 || listen(fd, 64) < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot listen on %s: %s", srv->path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	srv->listen_fd = fd;
	return 0;
}

static int watch(struct fl_ctl_server *srv, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};

	return epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev);
}

struct fl_ctl_server *fl_ctl_server_open(const char *path, char *err, size_t errlen)
{
	struct fl_ctl_server *srv = calloc(1, sizeof(*srv));
	struct itimerspec its = {{1, 0}, {1, 0}};
	char msg[512], lock[sizeof(srv->path) + 8];

	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->lock_fd = srv->listen_fd = srv->epfd = srv->timer_fd = srv->sig_fd = -1;
	if (strlen(path) + 6 > sizeof(srv->path)) {
		snprintf(err, errlen, "socket path %s: longer than %zu characters", path,
			 sizeof(srv->path) - 6);
		goto fail;
	}
	strcpy(srv->path, path);
	if (fl_ctl_make_parent_dirs(path, 0755, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "socket %s: %s", path, msg);
		goto fail;
	}
	snprintf(lock, sizeof(lock), "%s.lock", path);
	srv->lock_fd = ctl_lock_file(lock, "socket", path, err, errlen);
	if (srv->lock_fd < 0 || listen_on(srv, err, errlen) < 0)
		goto fail;
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	srv->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (srv->epfd < 0 || srv->timer_fd < 0 || timerfd_settime(srv->timer_fd, 0, &its, NULL) ||
	    watch(srv, srv->listen_fd, EPOLLIN, ev_data(EV_LISTEN, 0, 0)) ||
	    watch(srv, srv->timer_fd, EPOLLIN, ev_data(EV_TIMER, 0, 0))) {
		snprintf(err, errlen, "control loop setup: %s", strerror(errno));
		goto fail;
	}
	return srv;
fail:
	fl_ctl_server_close(srv);
	return NULL;
}

static void client_close(struct fl_ctl_server *srv, unsigned slot)
{
	struct client *c = srv->clients[slot];

	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	fl_ctl_session_free(srv->ctl, c->session);
	fl_jw_free(&c->out);
	free(c->in);
	free(c);
	srv->clients[slot] = NULL;
}

static void accept_clients(struct fl_ctl_server *srv)
{
	for (;;) {
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c;
		unsigned slot;

		if (fd < 0)
			return; /* EAGAIN, or a client that went away already */
		for (slot = 0; slot < MAX_CLIENTS && srv->clients[slot]; slot++)
			;
		c = slot < MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
		if (c)
			c->session = fl_ctl_session_new();
		if (!c || !c->session) {
			static const char busy[] =
				"{\"ok\":false,\"error\":\"too many control connections\"}\n";

			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				FL_LOG(FL_LOG_DEBUG, "refused client: %s", strerror(errno));
			close(fd);
			if (c)
				free(c);
			FL_LOG(FL_LOG_WARN, "control connection refused: %u clients", MAX_CLIENTS);
			continue;
		}
		c->fd = fd;
		c->gen = ++srv->next_gen;
		c->events = EPOLLIN;
		fl_jw_init(&c->out, false);
		if (watch(srv, fd, EPOLLIN, ev_data(EV_CLIENT, slot, c->gen)) < 0) {
			fl_ctl_session_free(srv->ctl, c->session);
			free(c);
			close(fd);
			continue;
		}
		srv->clients[slot] = c;
	}
}

static size_t unsent(const struct client *c)
{
	return c->out.len - c->out_off;
}

/* Send what the socket takes; then watch for writability only while
 * something is left, and for input only while the backlog is short. */
static void flush(struct fl_ctl_server *srv, unsigned slot)
{
	struct client *c = srv->clients[slot];
	struct epoll_event ev;
	uint32_t want;

	while (unsent(c)) {
		ssize_t n = send(c->fd, c->out.buf + c->out_off, unsent(c),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			client_close(srv, slot); /* EPIPE, ECONNRESET: gone */
			return;
		}
		c->out_off += (size_t)n;
	}
	if (!unsent(c)) {
		fl_jw_reset(&c->out);
		c->out_off = 0;
		if (c->closing) {
			client_close(srv, slot);
			return;
		}
	}
	want = (unsent(c) ? EPOLLOUT : 0) |
	       (!c->peer_closed && !c->closing && unsent(c) < SERVE_OUT_MAX ? EPOLLIN : 0);
	if (want != c->events) {
		ev.events = want;
		ev.data.u64 = ev_data(EV_CLIENT, slot, c->gen);
		epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev);
		c->events = want;
	}
}

/* Every complete line in the input: a request, or, while a capture
 * streams, the client's word to stop it. */
static void serve_lines(struct fl_ctl_server *srv, struct client *c)
{
	size_t start = 0;
	bool partial = false; /* what is left is a line without its newline */

	while (start < c->in_len && unsent(c) < SERVE_OUT_MAX && !c->closing) {
		/* a long line arrives in many reads: search only the new bytes */
		size_t from = start ? start : c->in_scanned;
		char *nl = memchr(c->in + from, '\n', c->in_len - from);
		size_t len;

		if (!nl) {
			partial = true;
			if (!c->peer_closed)
				break;
			nl = c->in + c->in_len; /* the last line needs no newline */
		}
		len = (size_t)(nl - (c->in + start));
		if (fl_ctl_session_streaming(c->session))
			fl_ctl_session_stop(srv->ctl, c->session, &c->out);
		else if (len)
			fl_control_request(srv->ctl, c->session, c->in + start, len, &c->out);
		start += len + (nl < c->in + c->in_len);
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	c->in_scanned = partial ? c->in_len : 0;
	if (c->in_len > FL_CTL_MAX_REQUEST) {
		fl_jw_raw(&c->out, "{\"ok\":false,\"error\":\"request longer than the limit\"}\n",
			  strlen("{\"ok\":false,\"error\":\"request longer than the limit\"}\n"));
		c->closing = true;
	}
	if (c->peer_closed && !fl_ctl_session_streaming(c->session))
		c->closing = true;
}

static void client_input(struct fl_ctl_server *srv, unsigned slot)
{
	struct client *c = srv->clients[slot];

	while (!c->peer_closed && c->in_len <= FL_CTL_MAX_REQUEST) {
		ssize_t n;

		if (c->in_cap - c->in_len < READ_CHUNK) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 2 * READ_CHUNK;
			char *ni = realloc(c->in, cap);

			if (!ni) {
				client_close(srv, slot);
				return;
			}
			c->in = ni;
			c->in_cap = cap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			client_close(srv, slot);
			return;
		}
		if (n == 0) {
			c->peer_closed = true;
			break;
		}
		c->in_len += (size_t)n;
		if (memchr(c->in + c->in_len - (size_t)n, '\n', (size_t)n))
			break; /* serve what is complete before reading more */
	}
	serve_lines(srv, c);
	if (c->peer_closed && fl_ctl_session_streaming(c->session)) {
		/* nobody to stream to: stop the capture, drop the output */
		fl_ctl_session_free(srv->ctl, c->session);
		c->session = NULL;
		client_close(srv, slot);
		return;
	}
	flush(srv, slot);
}

static bool drain_streams(struct fl_ctl_server *srv)
{
	bool any = false;
	unsigned i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = srv->clients[i];

		if (!c || !fl_ctl_session_streaming(c->session))
			continue;
		if (fl_ctl_session_drain(srv->ctl, c->session, &c->out, STREAM_OUT_MAX))
			serve_lines(srv, c); /* requests that waited behind the stream */
		else
			any = true;
		flush(srv, i);
	}
	return any;
}

int fl_ctl_server_run(struct fl_ctl_server *srv, struct fl_control *ctl, const sigset_t *stop)
{
	struct epoll_event evs[16];
	bool streaming = false;

	srv->ctl = ctl;
	srv->sig_fd = signalfd(-1, stop, SFD_NONBLOCK | SFD_CLOEXEC);
	if (srv->sig_fd < 0 || watch(srv, srv->sig_fd, EPOLLIN, ev_data(EV_SIGNAL, 0, 0)) < 0)
		return -errno;
	for (;;) {
		int n = epoll_wait(srv->epfd, evs, 16, streaming ? STREAM_POLL_MS : -1), i;

		if (n < 0 && errno != EINTR)
			return -errno;
		for (i = 0; i < n; i++) {
			uint64_t d = evs[i].data.u64;
			unsigned kind = d & 0xff, slot = (d >> 8) & 0xffffff;
			struct signalfd_siginfo si;
			uint64_t ticks;
			struct client *c;

			switch (kind) {
			case EV_LISTEN:
				accept_clients(srv);
				break;
			case EV_TIMER:
				if (read(srv->timer_fd, &ticks, sizeof(ticks)) > 0)
					fl_control_tick(srv->ctl, fl_time_ns());
				break;
			case EV_SIGNAL:
				if (read(srv->sig_fd, &si, sizeof(si)) == sizeof(si))
					return (int)si.ssi_signo;
				break;
			default:
				c = slot < MAX_CLIENTS ? srv->clients[slot] : NULL;
				if (!c || c->gen != (uint32_t)(d >> 32))
					break; /* closed earlier in this batch */
				if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
					client_input(srv, slot);
					break;
				}
				flush(srv, slot);
				/* requests left unserved while the backlog was long */
				if (srv->clients[slot] == c && c->in_len &&
				    !fl_ctl_session_streaming(c->session)) {
					serve_lines(srv, c);
					flush(srv, slot);
				}
				break;
			}
		}
		streaming = drain_streams(srv);
	}
}

void fl_ctl_server_close(struct fl_ctl_server *srv)
{
	unsigned i;

	if (!srv)
		return;
	for (i = 0; i < MAX_CLIENTS; i++)
		if (srv->clients[i])
			client_close(srv, i);
	if (srv->listen_fd >= 0) {
		close(srv->listen_fd);
		unlink(srv->path);
	}
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->timer_fd >= 0)
		close(srv->timer_fd);
	if (srv->sig_fd >= 0)
		close(srv->sig_fd);
	if (srv->lock_fd >= 0)
		close(srv->lock_fd);
	free(srv);
}
