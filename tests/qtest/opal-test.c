/*
 * QTest testcase for ide-opal-hd, an emulated TCG Opal 2 self-encrypting
 * SATA drive, driven through the Q35 (ICH9) AHCI controller.  The tests
 * are in opal-test-<topic>.c, what they share in opal-test-util.c.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * This program is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License as published by
 * the Free Software Foundation; either version 2 of the License, or
 * (at your option) any later version.
 *
 * This program is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
 * GNU General Public License for more details.
 *
 * You should have received a copy of the GNU General Public License
 * along with this program; if not, see <http://www.gnu.org/licenses/>.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "opal-test-util.h"

int main(int argc, char **argv)
{
    const char *arch;
    int fd, ret;

    g_test_init(&argc, &argv, NULL);

    arch = qtest_get_arch();
    if (strcmp(arch, "i386") && strcmp(arch, "x86_64")) {
        g_test_message("Skipping test for non-x86");
        return g_test_run();
    }
    if (!qtest_has_device("ide-opal-hd")) {
        g_test_message("Skipping test: ide-opal-hd is not available");
        return g_test_run();
    }

    fd = g_file_open_tmp("opal-test-XXXXXX.raw", &image_path, NULL);
    g_assert(fd >= 0);
    close(fd);

    opal_test_register_protocol();
    opal_test_register_media();
    opal_test_register_qmp();
    opal_test_register_methods();
    opal_test_register_state();

    ret = g_test_run();

    unlink(image_path);
    g_free(image_path);
    return ret;
}
