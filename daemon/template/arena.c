/*
 * arena.c - the template's memory: what its children get, and what not.
 *
 * Fork speed and request isolation both come down to which pages the
 * template writes and which a child inherits: the request arena (jansson's
 * allocator in the template), the template's own memory (MADV_DONTFORK),
 * and the scrubbing of the heap and the stack before a child may read
 * them. The comment below says why each is so.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "template.h"

/*
 * After each fork, every page the template writes is a copy-on-write
 * fault (while the child lives; a trap for a page the child already let
 * go), each about 20 us in a virtual machine, where a bare fork and exit
 * take 800. The per-start path therefore keeps its writes off the pages
 * a child shares:
 *
 * - The template's bookkeeping (struct book: pending starts, children,
 *   the poll set, the request buffer, the arena's own counters) lives in
 *   memory no child gets (MADV_DONTFORK, own_realloc()).
 * - The request arena, which the child does get: between arena_begin()
 *   and arena_end(), jansson (and strv()) allocate from one bump region,
 *   which each request's tree fills from its start, where malloc()
 *   spread the tree, the heap's bookkeeping and the thread's cache over
 *   half a dozen pages. Nothing in it is freed one by one: the tree is
 *   dropped whole at arena_end() (never json_decref'd), and what did not
 *   fit, malloc'd instead, is freed then. After each fork the template
 *   lets go of the pages its child took (arena_scrub()): the next
 *   request writes fresh pages, not copies.
 * - No stdio on the way (its formatting takes pages of stack), no errno
 *   set by a call that fails as expected, and no rseq area for the
 *   kernel to write (the template runs with glibc.pthread.rseq=0).
 */
#define ARENA_SIZE (256 * 1024)
static char *arena_base; /* ARENA_SIZE bytes, mapped once */

/* Free p (malloc'd) after zeroing it: what the template frees may have
 * held a request, and its heap is every later child's. */
void scrub_free(void *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

/*
 * The stack below the current frame, in a child just forked (or the
 * keeper): zeroed, for it holds what the template did before, requests
 * of other users among them. The bytes down to the first page boundary at
 * least STACK_ROOM below are written over (stack_burn()), and every page
 * below that, down STACK_SCRUB_SPAN (more than the template's deepest
 * use: the parser nests 2048 deep), is let go (MADV_DONTNEED): the child
 * gets zero pages as it grows down again, a fault each where it would
 * have taken one to copy the template's. Below a stack there is only its
 * guard gap, whatever the span reaches.
 */
#define STACK_ROOM	 1024
#define STACK_SCRUB_SPAN (8UL * 1024 * 1024)

static void __attribute__((noinline, no_sanitize_address)) stack_burn(size_t n)
{
	char buf[n];

	explicit_bzero(buf, n);
	__asm__ volatile("" : : "r"(buf) : "memory");
}

void __attribute__((noinline)) stack_scrub(void)
{
	const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t top = (uintptr_t)__builtin_frame_address(0);
	uintptr_t hi = (top - STACK_ROOM) & ~(page - 1);
	uintptr_t lo = hi > STACK_SCRUB_SPAN ? hi - STACK_SCRUB_SPAN : page;

	/* From below this frame down past hi (this frame is not 1 KiB). */
	stack_burn(top - hi);
	/* The part mapped is let go; the rest (ENOMEM) is not there. */
	madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* jansson's allocator in the template, for good (so that no start
 * writes jansson's own data): the arena while it is open, else malloc. */
void *arena_alloc(size_t size)
{
	size_t n = (size + 15) & ~(size_t)15;
	void *p;

	if (tmpl_in_child || !bk->arena.open)
		return malloc(size);
	if (n >= size && ARENA_SIZE - bk->arena.used >= n) {
		p = arena_base + bk->arena.used;
		bk->arena.used += n;
		return p;
	}
	if (bk->arena.nspill == bk->arena.cap_spill) {
		size_t cap = bk->arena.cap_spill ? bk->arena.cap_spill * 2 : 64;
		void **v = realloc(bk->arena.spill, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		bk->arena.spill = v;
		bk->arena.cap_spill = cap;
	}
	p = malloc(size);
	if (p != NULL)
		bk->arena.spill[bk->arena.nspill++] = p;
	return p;
}

static void arena_free(void *p)
{
	char *c = p;

	/* The arena's, and what spilled from it, go at arena_end(). */
	if (arena_base != NULL && c >= arena_base &&
	    c < arena_base + ARENA_SIZE)
		return;
	for (size_t i = 0;
	     !tmpl_in_child && bk->arena.open && i < bk->arena.nspill; i++)
		if (bk->arena.spill[i] == p)
			return;
	if (tmpl_in_child)
		free(p);
	else
		scrub_free(p);
}

void arena_begin(void)
{
	bk->arena.used = 0;
	bk->arena.open = true;
}

/* Drop everything allocated since arena_begin(). */
void arena_end(void)
{
	bk->arena.open = false;
	for (size_t i = 0; i < bk->arena.nspill; i++)
		scrub_free(bk->arena.spill[i]);
	bk->arena.nspill = 0;
}

/*
 * After each request, whatever started it: no byte of it stays in the
 * arena, which every forked child gets (the arena is all zeros outside a
 * request). After a fork (shared: a child has the pages too) the template
 * lets go of the pages used, so that the next request fills fresh ones
 * instead of copying them; else (after a program's launch, whose child
 * has copies of what it needs, or a failed start) it zeroes the bytes
 * used, in pages that are its own.
 */
void arena_scrub(bool shared)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t used = (bk->arena.used + page - 1) & ~(page - 1);

	if (used == 0)
		return;
	if (!shared || madvise(arena_base, used, MADV_DONTNEED) == -1)
		explicit_bzero(arena_base, bk->arena.used);
	bk->arena.used = 0;
}

/* Map the arena, and make it jansson's allocator for good (bk first). */
void arena_init(void)
{
	arena_base = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena_base == MAP_FAILED)
		fatal("template: mmap");
	json_set_alloc_funcs(arena_alloc, arena_free);
}

void *own_realloc(void *old, size_t old_size, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		fatalx("template: out of memory");
	if (madvise(p, size, MADV_DONTFORK) == -1)
		log_debug("template: MADV_DONTFORK: %s", strerror(errno));
	if (old != NULL) {
		memcpy(p, old, old_size);
		munmap(old, old_size);
	}
	return p;
}

/* Let go of what own_realloc() gave (size: as asked). */
void own_free(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, size);
}

/* A NULL-ended vector of the strings of array a (borrowed), in the
 * arena while it is open. */
char **strv(json_t *a)
{
	size_t n = json_array_size(a);
	char **v = !tmpl_in_child && bk->arena.open ?
			   arena_alloc((n + 1) * sizeof(*v)) :
			   calloc(n + 1, sizeof(*v));

	for (size_t i = 0; v != NULL && i < n; i++)
		v[i] = (char *)json_string_value(json_array_get(a, i));
	if (v != NULL)
		v[n] = NULL;
	return v;
}
