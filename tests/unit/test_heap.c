/* core/heap: the main heap grows in big steps, keeps big blocks, and what
 * it grows is advised for transparent huge pages. Checked against what the
 * kernel reports for the mapping (/proc/self/smaps), not against our own
 * bookkeeping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/heap.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

static bool thp_mode_allows(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char line[128] = "";

	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return strchr(line, '[') && !strstr(line, "[never]");
}

/* The smaps entry of the mapping holding p: its name and THPeligible. */
static bool mapping_of(const void *p, char *name, size_t namelen, int *thp_eligible)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	uintptr_t a = (uintptr_t)p;
	bool inside = false, found = false;
	char line[512];

	assert_non_null(f);
	*thp_eligible = -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char path[256] = "";

		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %255s", &lo, &hi, path) >= 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			if (found)
				break;
			inside = a >= lo && a < hi;
			if (inside) {
				found = true;
				snprintf(name, namelen, "%s", path);
			}
			continue;
		}
		if (inside && sscanf(line, "THPeligible: %d", thp_eligible) == 1)
			break;
	}
	fclose(f);
	return found;
}

static void heap_is_advised(void **state)
{
	enum { PIECES = 200000 };
	void **pieces;
	char name[256];
	void *big;
	int elig;
	unsigned i;

	(void)state;
#ifdef SANITIZED
	assert_false(fl_heap_use_huge_pages());
	skip();
#endif
	if (!thp_mode_allows()) {
		assert_false(fl_heap_use_huge_pages());
		print_message("transparent huge pages are off in this kernel: nothing to check\n");
		skip();
	}
	assert_true(fl_heap_use_huge_pages());
	assert_true(fl_heap_use_huge_pages()); /* once is enough, twice is harmless */
	pieces = calloc(PIECES, sizeof(*pieces));
	assert_non_null(pieces);

	/* More than one heap step of small pieces (a rule table's shape),
	 * advised as the flow code does it, every few thousand. */
	for (i = 0; i < PIECES; i++) {
		pieces[i] = malloc(640);
		assert_non_null(pieces[i]);
		memset(pieces[i], 0x5a, 640);
		if (i % 4096 == 0)
			fl_heap_advise();
	}
	fl_heap_advise();
	assert_true(mapping_of(pieces[PIECES - 1], name, sizeof(name), &elig));
	assert_string_equal(name, "[heap]");
	assert_int_equal(elig, 1);
	assert_true(mapping_of(pieces[PIECES / 2], name, sizeof(name), &elig));
	assert_int_equal(elig, 1);

	/* A big block (a classifier's hash array) stays on the heap too,
	 * instead of a private 4 KiB-page mapping of its own. */
	big = malloc(8u << 20);
	assert_non_null(big);
	assert_true(mapping_of(big, name, sizeof(name), &elig));
	assert_string_equal(name, "[heap]");

	free(big);
	for (i = 0; i < PIECES; i++)
		free(pieces[i]);
	free(pieces);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(heap_is_advised),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
