/* Reading a whole (text) file: flows files, golden test files. */
#ifndef FL_CORE_FILE_H
#define FL_CORE_FILE_H

#include <stddef.h>

/* The file's bytes, NUL-terminated, in a buffer to free(); *len is the
 * length without the terminator. NULL with errno set on failure (EIO for a
 * read error). */
char *fl_read_file(const char *path, size_t *len);

#endif
