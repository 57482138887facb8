/*
 * share.c - page tables the children inherit, and the template's CPU.
 *
 * Two tricks that make each fork cheaper, done once at start: the code
 * and read-only data a worker runs get an anon_vma so that fork copies
 * their page table entries (template_share_code()), and the template
 * keeps to one CPU so that its copy-on-write faults need no TLB
 * shootdown (template_pin()).
 */
#include <elf.h>
#include <link.h>
#include <sched.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "template.h"

/* The CPUs the daemon may use; the template itself keeps to one of them
 * (template_pin()), and gives its children the whole set back. */
cpu_set_t tmpl_cpus;
bool tmpl_pinned;

/*
 * Keep the template on the CPU it runs on. A fork write-protects every
 * private page of the template, and each page it writes afterwards is a
 * fault; each of these changes to its page tables must be flushed from
 * the TLB of every CPU the template has run on, by an interprocessor
 * interrupt, which is costly (very much so in a virtual machine). On one
 * CPU there is none to send. Children get the daemon's CPUs back at once.
 */
void template_pin(void)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	if (sched_getaffinity(0, sizeof(tmpl_cpus), &tmpl_cpus) == -1 ||
	    CPU_COUNT(&tmpl_cpus) < 2 || cpu < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) == 0) {
		tmpl_pinned = true;
		log_debug("template: kept on CPU %d", cpu);
	}
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

/*
 * Let the children inherit the template's page table entries for code
 * and read-only data. fork() copies the entries of a private mapping
 * only when the mapping has anonymous pages (an anon_vma); a library's
 * text has none, so each child took one page fault for every page of
 * code it ran, up to fault-around: 15 of the 25 faults of a function
 * worker, each a trap that costs about 12 us in a virtual machine.
 *
 * Each read-only segment of the objects a worker runs is made writable,
 * has one byte of its first page rewritten (a private copy of that page,
 * and with it an anon_vma for the whole mapping) and its protection
 * restored: each fork then copies the entries the template has, a few
 * microseconds in the kernel instead of a trap per page in every child.
 * The executable's and the tmpl_preloaded objects' are populated first, all
 * of them (share_object()).
 * The objects a worker runs: the executable, libc, the dynamic linker,
 * jansson, and every object loaded by --preload (the modules and what
 * they need). The rest of the daemon's own libraries (libevent,
 * libsystemd and its dependencies) are left alone: copying their entries
 * would only slow each fork and exit down.
 *
 * Best effort: where the system refuses a writable code page (SELinux
 * execmod, memory-deny-write-execute), a segment is left as it was.
 * Called once, after the preload, before the first request.
 */
struct share {
	int nbefore; /* objects loaded before the preload */
	int index;
	uintptr_t core[4]; /* an address in each core object */
	int shared, refused;
};

static bool object_holds(const struct dl_phdr_info *info, uintptr_t a)
{
	for (int k = 0; k < info->dlpi_phnum; k++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && a >= lo && a - lo < ph->p_memsz)
			return true;
	}
	return false;
}

static int share_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct share *sh = arg;
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	bool loaded = sh->index++ >= sh->nbefore, run = loaded;
	/* Whole: the executable and what --preload brought in. libc, the
	 * dynamic linker and jansson are big, and a worker runs little of
	 * them that the template has not run already: only the entries of
	 * the pages the template touched are copied. */
	bool populate = loaded || object_holds(info, sh->core[0]);

	for (size_t c = 0; !run && c < 4; c++)
		run = sh->core[c] != 0 && object_holds(info, sh->core[c]);
	if (!run)
		return 0;
	for (int k = 0; k < info->dlpi_phnum; k++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi;
		int prot = PROT_READ | (ph->p_flags & PF_X ? PROT_EXEC : 0);

		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) ||
		    !(ph->p_flags & PF_R) || ph->p_memsz == 0)
			continue;
		hi = (lo + ph->p_memsz + page - 1) & ~(uintptr_t)(page - 1);
		lo &= ~(uintptr_t)(page - 1);
		if (mprotect((void *)lo, hi - lo, prot | PROT_WRITE) == -1) {
			sh->refused++;
			continue;
		}
		*(volatile char *)lo = *(volatile char *)lo;
		if (mprotect((void *)lo, hi - lo, prot) == -1)
			fatal("template: mprotect");
		if (populate)
			madvise((void *)lo, hi - lo, MADV_POPULATE_READ);
		sh->shared++;
	}
	return 0;
}

/* How many objects are loaded (before the preload). */
static int count_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

int objects_loaded(void)
{
	int n = 0;

	dl_iterate_phdr(count_object, &n);
	return n;
}

void template_share_code(int nbefore)
{
	struct share sh = {
		.nbefore = nbefore,
		.core = { (uintptr_t)&template_main, (uintptr_t)&strlen,
			  (uintptr_t)&json_object_get,
			  (uintptr_t)getauxval(AT_BASE) },
	};

	dl_iterate_phdr(share_object, &sh);
	log_debug("template: %d segments shared with children, %d refused",
		  sh.shared, sh.refused);
}
