/*
 * glibc's own allocator entry points, which its public headers do not
 * declare: test-wipe.c interposes malloc(), realloc() and free() and hands
 * the work on to these.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_UNIT_LIBC_ALLOC_H
#define TESTS_UNIT_LIBC_ALLOC_H

#include <stddef.h>

void *__libc_malloc(size_t size);
void *__libc_realloc(void *p, size_t size);
void __libc_free(void *p);

#endif
