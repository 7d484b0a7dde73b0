/*
 * Replay fuzzer inputs through LLVMFuzzerTestOneInput without libFuzzer
 *
 *   replay FILE|DIR...
 *
 * Runs every file named (and every file in each directory named, in name
 * order) once, printing TAP.  A failed invariant aborts the harness, so the
 * last "# running" line names the culprit.  The `fuzz-corpus` test runs the
 * seed corpus this way, with any compiler.  LLVMFuzzerInitialize, if the
 * target has one, runs first, as under libFuzzer.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

#include "fuzz-target.h"
/*
 * A target that prepares something once per process defines it, as libFuzzer
 * expects.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/* Expand directories into their (sorted) files; keep other paths as given. */
static GPtrArray *collect(int argc, char **argv)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);

    for (int i = 1; i < argc; i++) {
        GDir *dir = g_dir_open(argv[i], 0, NULL);
        GPtrArray *entries;
        const char *name;

        if (!dir) {
            g_ptr_array_add(files, g_strdup(argv[i]));
            continue;
        }
        entries = g_ptr_array_new();
        while ((name = g_dir_read_name(dir))) {
            g_ptr_array_add(entries, g_build_filename(argv[i], name, NULL));
        }
        g_dir_close(dir);
        g_ptr_array_sort(entries, compare_names);
        for (guint j = 0; j < entries->len; j++) {
            g_ptr_array_add(files, entries->pdata[j]);
        }
        g_ptr_array_free(entries, TRUE);
    }
    return files;
}

int main(int argc, char **argv)
{
    GPtrArray *files = collect(argc, argv);
    int failed = 0;

    if (LLVMFuzzerInitialize) {
        LLVMFuzzerInitialize(&argc, &argv);
    }

    printf("1..%u\n", files->len);
    for (guint i = 0; i < files->len; i++) {
        const char *path = files->pdata[i];
        GError *err = NULL;
        gchar *data;
        gsize size;

        if (!g_file_get_contents(path, &data, &size, &err)) {
            printf("not ok %u - %s # %s\n", i + 1, path, err->message);
            g_error_free(err);
            failed++;
            continue;
        }
        printf("# running %s (%zu bytes)\n", path, (size_t)size);
        fflush(stdout);
        LLVMFuzzerTestOneInput((const uint8_t *)data, size);
        printf("ok %u - %s\n", i + 1, path);
        fflush(stdout);
        g_free(data);
    }
    if (files->len == 0) {
        printf("# no inputs\n");
        failed++;
    }
    g_ptr_array_free(files, TRUE);
    return failed ? 1 : 0;
}
