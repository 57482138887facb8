/*
 * fuzz.h - what the libFuzzer targets share.
 *
 * Each target is one LLVMFuzzerTestOneInput() over a proto/ function; a
 * broken property is reported with FUZZ_CHECK(), which prints what went
 * wrong and aborts, so libFuzzer saves the input as a crash artifact and
 * the run fails.
 */
#ifndef MPD_FUZZ_H
#define MPD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                  \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, \
				__LINE__, #cond);                              \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			abort();                                               \
		}                                                              \
	} while (0)

#endif /* MPD_FUZZ_H */
