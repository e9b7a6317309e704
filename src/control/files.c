/* Files the daemon keeps: directories made on demand, and the lock files
 * that keep a second daemon off a socket or a state file.
 */
#include "control/control_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

#define FL_LOG_MODULE "control"

int fl_ctl_make_parent_dirs(const char *path, mode_t mode, char *err, size_t errlen)
{
	char dir[4096];
	char *p;
	int e;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "path too long");
		return -ENAMETOOLONG;
	}
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1;; p++) {
		bool last;

		if (*p && *p != '/')
			continue;
		last = !*p;
		*p = '\0';
		if (mkdir(dir, mode) < 0 && errno != EEXIST)
			goto fail;
		if (last)
			return 0;
		*p = '/';
	}
fail:
	e = errno;
	snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(e));
	return -e;
}

int ctl_lock_file(const char *lock, const char *what, const char *path, char *err,
		  size_t errlen)
{
	char pid[32];
	ssize_t n;
	int fd, e;

	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "cannot open the lock file %s: %s", lock, strerror(e));
		return -e;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		e = errno;
		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (e == EWOULDBLOCK)
			snprintf(err, errlen, "another flowlane (pid %s) is running on %s %s",
				 pid[0] ? pid : "?", what, path);
		else
			snprintf(err, errlen, "cannot lock %s: %s", lock, strerror(e));
		close(fd);
		return -e;
	}
	/* who holds it, for the message a second daemon prints */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		FL_LOG(FL_LOG_WARN, "cannot write the pid into %s", lock);
	return fd;
}
