/* The state journal (state.h): flow changes appended to STATE.journal
 * between two writes of the state file.
 *
 * Why: the state file holds every flow, and writing it after every change
 * costs O(rules) per change: with 100,000 flows a single add-flow took
 * 200 ms (6 MB formatted, written, fsync'd), so a controller adding flows
 * one by one got five per second. A change now appends only what it
 * changed (a line per rule, one write, one fdatasync); the state file is
 * rewritten when the journal has grown past it, and at every start.
 *
 * Format, text, one line each:
 *
 *     +table=0, priority=10,ip actions=output:2     a rule added (or replacing
 *                                                   the one with its table,
 *                                                   match and priority)
 *     -table=0, priority=5,ip,nw_dst=10.0.0.1       a rule removed
 *     .                                             end of one change
 *
 * after a first line "#ID": the id the state file it goes with names in
 * its "journal" key. A journal with another id (the state file was
 * rewritten after it, and the crash came before the journal was started
 * over; or someone put back an older state file) is not replayed: the
 * state file alone is the truth then.
 *
 * A change counts only with its "." line: one write() puts ops and "."
 * down together, and a crash in the middle of it leaves ops without the
 * "." at the end of the file, which loading ignores (that change was never
 * acknowledged: the reply waits for fdatasync). Anything else that is not
 * one of these lines is corruption and refuses the start, like a corrupt
 * state file.
 *
 * Every op sets or clears one rule identity (table, match, priority):
 * "+" is an add (which replaces an identical match and priority), "-" a
 * strict delete, so a change replays the same way whatever the rules'
 * counters or cookies.
 */
#include "control/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/file.h"
#include "core/time.h"

static void journal_path(const char *state_path, char *buf, size_t size)
{
	snprintf(buf, size, "%s.journal", state_path);
}

void fl_ctl_journal_init(struct fl_ctl_journal *j)
{
	memset(j, 0, sizeof(*j));
	j->fd = -1;
}

int fl_ctl_journal_open(struct fl_ctl_journal *j, const char *state_path, char *err,
			size_t errlen)
{
	char path[4200];
	struct stat st;

	journal_path(state_path, path, sizeof(path));
	j->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (j->fd < 0 || fstat(j->fd, &st) < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		if (j->fd >= 0)
			close(j->fd);
		j->fd = -1;
		return -e;
	}
	j->bytes = (size_t)st.st_size;
	j->broken = false;
	return 0;
}

void fl_ctl_journal_close(struct fl_ctl_journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	fl_ctl_journal_init(j);
}

/* ops and the "." line in one writev: a change is either all on disk or
 * (crash, disk full) a torn tail without its ".". */
static int write_change(int fd, const char *ops, size_t len, bool end)
{
	struct iovec iov[2] = {{(void *)ops, len}, {(void *)".\n", end ? 2 : 0}};
	size_t left = len + (end ? 2 : 0);

	while (left) {
		ssize_t n = writev(fd, iov, 2);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		left -= (size_t)n;
		/* a short write (rare on a regular file): skip what went */
		while (n > 0) {
			unsigned i = iov[0].iov_len ? 0 : 1;
			size_t k = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;

			iov[i].iov_base = (char *)iov[i].iov_base + k;
			iov[i].iov_len -= k;
			n -= (ssize_t)k;
		}
	}
	return 0;
}

int fl_ctl_journal_append(struct fl_ctl_journal *j, const char *ops, size_t len, char *err,
			  size_t errlen)
{
	int ret;

	if (j->fd < 0 || j->broken) {
		snprintf(err, errlen, "journal: not open");
		return -EBADF;
	}
	ret = write_change(j->fd, ops, len, true);
	if (!ret && fdatasync(j->fd) < 0)
		ret = -errno;
	if (ret) {
		snprintf(err, errlen, "journal: %s", strerror(-ret));
		/* Take a torn change back off the end, or the next one's "."
		 * would commit it; until that is sure, no more appends. */
		j->broken = ftruncate(j->fd, (off_t)j->bytes) < 0;
		return ret;
	}
	j->bytes += len + 2;
	return 0;
}

void fl_ctl_journal_new_id(char id[FL_CTL_JOURNAL_ID_LEN + 1])
{
	static uint64_t counter;
	uint64_t v = 0;

	/* unique enough: never equal to the id of the journal on disk */
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = fl_time_ns() ^ ((uint64_t)getpid() << 32);
	v ^= ++counter;
	snprintf(id, FL_CTL_JOURNAL_ID_LEN + 1, "%016llx", (unsigned long long)v);
}

int fl_ctl_journal_reset(struct fl_ctl_journal *j, const char *id, char *err, size_t errlen)
{
	char line[FL_CTL_JOURNAL_ID_LEN + 3];
	int ret = 0;

	if (j->fd < 0)
		return 0;
	snprintf(line, sizeof(line), "#%s\n", id);
	if (ftruncate(j->fd, 0) < 0)
		ret = -errno;
	if (!ret) {
		ret = write_change(j->fd, line, strlen(line), false);
		if (!ret && fsync(j->fd) < 0)
			ret = -errno;
	}
	if (ret) {
		snprintf(err, errlen, "journal: %s", strerror(-ret));
		j->broken = true;
		return ret;
	}
	j->bytes = strlen(line);
	j->broken = false;
	return 0;
}

long fl_ctl_journal_replay(const char *state_path, const char *id, fl_ctl_journal_fn fn,
			   void *ctx, bool *foreign, char *err, size_t errlen)
{
	char path[4200], msg[1024];
	size_t len = 0, lineno = 0, start_line = 1;
	char *text, *p, *change;
	long changes = 0;
	int ret = 0;

	journal_path(state_path, path, sizeof(path));
	text = fl_read_file(path, &len);
	if (!text) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		snprintf(err, errlen, "journal %s: %s", path, strerror(-ret));
		return ret;
	}
	if (strlen(text) != len) {
		snprintf(err, errlen, "journal %s: contains a NUL byte", path);
		free(text);
		return -EINVAL;
	}
	*foreign = false;
	p = text;
	if (*p) {
		size_t n = strcspn(p, "\n");

		if (*p != '#' || n != FL_CTL_JOURNAL_ID_LEN + 1 || p[n] != '\n' ||
		    strncmp(p + 1, id, FL_CTL_JOURNAL_ID_LEN)) {
			*foreign = true;
			free(text);
			return 0;
		}
		p += n + 1;
		lineno = 1;
		start_line = 2;
	}
	change = p;
	while (*p) {
		char *nl = strchr(p, '\n');

		lineno++;
		if (!nl)
			break; /* a torn last line: its change was never acknowledged */
		if (*p == '.' && nl == p + 1) {
			*p = '\0'; /* the change's ops, without the "." line */
			msg[0] = '\0';
			ret = fn(ctx, change, (size_t)(p - change), msg, sizeof(msg));
			if (ret < 0) {
				snprintf(err, errlen, "journal %s: the change on lines %zu-%zu: %s",
					 path, start_line, lineno, msg);
				break;
			}
			changes++;
			change = nl + 1;
			start_line = lineno + 1;
		} else if ((*p != '+' && *p != '-') || nl == p + 1) {
			snprintf(err, errlen, "journal %s: line %zu: expected '+FLOW', '-FLOW' or '.'",
				 path, lineno);
			ret = -EINVAL;
			break;
		}
		p = nl + 1;
	}
	free(text);
	return ret < 0 ? ret : changes;
}
