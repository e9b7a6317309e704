/* Whole-file reads (file.h). Control path only: never on the datapath. */
#include "core/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

char *fl_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0, cap = 0, got;
	char *buf = NULL;
	int err;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = n + 65536);

			if (!nb) {
				err = ENOMEM;
				goto err_close;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		err = EIO;
		goto err_close;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;

err_close:
	free(buf);
	fclose(f);
	errno = err;
	return NULL;
}
