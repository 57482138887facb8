/*
 * sys.h - raw system calls, for a child that shares the template's memory.
 *
 * sys() makes a system call and returns its result or -errno, writing no
 * errno: a child started by launch.c runs on the template's thread
 * pointer, beside it, and glibc's wrappers would write the template's
 * errno under its feet. The child set-up (plan.c) is made of these, so
 * that one executor serves that child and a forked one alike.
 *
 * Where sys() cannot be written without errno (an architecture other
 * than x86-64 and arm64), SYS_VFORK is 1 and launch.c's clone is a vfork:
 * the template waits for the exec, and shares nothing with the child
 * while it runs.
 */
#ifndef MPD_TEMPLATE_SYS_H
#define MPD_TEMPLATE_SYS_H

#include <errno.h>
#include <unistd.h>

/* Not instrumented by the sanitizers: the child runs on a stack of its
 * own, which ASan would take for a corrupted one, beside the template. */
#define LCHILD __attribute__((no_sanitize_address))

#if defined(__x86_64__)
#define SYS_VFORK 0
static inline long LCHILD sys6(long n, long a, long b, long c, long d, long e,
			       long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
#define SYS_VFORK 0
static inline long LCHILD sys6(long n, long a, long b, long c, long d, long e,
			       long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory", "cc");
	return x0;
}
#else
#define SYS_VFORK 1
static inline long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	long r = syscall(n, a, b, c, d, e, f);

	return r == -1 ? -errno : r;
}
#endif

/* A system call; returns its result, or -errno. */
#define sys(n, a, b, c, d) \
	sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

#endif
