/* Transparent huge pages for the control thread's heap (see heap.h). */
#include "core/heap.h"

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define FL_HEAP_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define FL_HEAP_SANITIZED 1
#endif
#endif

/* Both only ever touched by the thread that owns the main heap. */
static uintptr_t advised_end;
static bool enabled;

static uintptr_t page_up(uintptr_t a)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

	return (a + page - 1) & ~(page - 1);
}

/* The sanitizers' allocators do not use glibc's heap. */
static bool sanitized(void)
{
#ifdef FL_HEAP_SANITIZED
	return true;
#else
	return false;
#endif
}

/* "always [madvise] never": the bracketed word is the mode. */
static bool thp_usable(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char line[128];
	bool ok = false;

	if (!f)
		return false;
	if (fgets(line, sizeof(line), f))
		ok = strstr(line, "[never]") == NULL && strchr(line, '[') != NULL;
	fclose(f);
	return ok;
}

void fl_heap_advise(void)
{
	uintptr_t end;

	if (!enabled)
		return;
	end = page_up((uintptr_t)sbrk(0));
	if (end <= advised_end)
		return;
	/* Failure only means small pages, as before: nothing to report. */
	(void)madvise((void *)advised_end, end - advised_end, MADV_HUGEPAGE);
	advised_end = end;
}

bool fl_heap_use_huge_pages(void)
{
	void *volatile first;
	uintptr_t start;

	if (enabled)
		return true;
	if (sanitized() || !thp_usable())
		return false;
	if (!mallopt(M_TOP_PAD, (int)FL_HEAP_STEP) ||
	    !mallopt(M_MMAP_THRESHOLD, (int)FL_HEAP_MMAP_MIN))
		return false;
	/* What the heap holds so far stays on small pages; advise from here. */
	start = page_up((uintptr_t)sbrk(0));
	/* One block bigger than any free space: the heap takes its first
	 * FL_HEAP_STEP now, so the advice below covers it before anything in
	 * it is touched. (volatile: a malloc whose result is only freed may
	 * be optimised away.) */
	first = malloc(1u << 20);
	free(first);
	if ((uintptr_t)sbrk(0) <= start)
		return false;
	advised_end = start;
	enabled = true;
	fl_heap_advise();
	return true;
}
