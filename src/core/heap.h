/* Transparent huge pages for the control thread's heap.
 *
 * A flow table is large and built fast: 100,000 rules are ~130 MB of
 * rules, matches, classifier nodes and actions, malloc'd one small piece at
 * a time. On 4 KiB pages that is 33,000 page faults, each a trap into the
 * kernel (and, in a VM, often out of it), and afterwards one TLB entry per
 * 4 KiB for every lookup the control thread makes in the tables: measured,
 * loading 100k rules took 1.0 s, two thirds of it in faults and TLB misses.
 *
 * The kernel will back an anonymous mapping with 2 MiB pages when the
 * mapping is advised (MADV_HUGEPAGE, the Debian default "madvise" mode), but
 * glibc grows its main heap with brk in 128 KiB steps and advises nothing,
 * and every brk extension is a new, unadvised piece of the mapping. So:
 *
 *   fl_heap_use_huge_pages()  at start, once, from the main thread: grow the
 *        heap in steps of FL_HEAP_STEP and keep big blocks on it (below
 *        FL_HEAP_MMAP_MIN they no longer go to a private mmap), then
 *        advise what the heap has.
 *   fl_heap_advise()          whenever the heap may have grown (the flow
 *        table code calls it every few thousand rules): advise the part not
 *        yet advised. One sbrk(0) and, only if the heap grew, one madvise.
 *
 * Memory a step reserves but nobody touches costs address space, not RAM.
 * A 2 MiB page is only used where a whole aligned 2 MiB of the heap is
 * advised; the rest stays on small pages, so correctness never depends on
 * any of this. Without THP in the kernel (mode "never"), or under
 * AddressSanitizer (its own allocator, no brk heap), both calls do nothing.
 */
#ifndef FL_CORE_HEAP_H
#define FL_CORE_HEAP_H

#include <stdbool.h>

#define FL_HEAP_STEP (64u << 20)
#define FL_HEAP_MMAP_MIN (32u << 20)

/* True when the heap is now grown in huge steps and advised. */
bool fl_heap_use_huge_pages(void);
void fl_heap_advise(void);

#endif
