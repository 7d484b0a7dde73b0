/*
 * The entry points of a libFuzzer target, which libFuzzer declares in no
 * header, and which tests/fuzz/replay.c calls to replay a corpus without
 * libFuzzer (https://llvm.org/docs/LibFuzzer.html).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_FUZZ_FUZZ_TARGET_H
#define TESTS_FUZZ_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>

/* Once per process, before the first input (optional). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
/* One input; returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
