/*
 * ide-opal-hd: QMP commands for Opal drives
 *
 * Built whatever the device set, because the QAPI schema is: the commands
 * reach drives through the TYPE_OPAL_DRIVE interface, never by symbol, and
 * answer DeviceNotFound when no such drive exists.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-opal.h"
#include "qemu/module.h"
#include "hw/sysbus.h"
#include "opal-hd.h"

/* The Opal drive @id names: a device ID or a QOM path. */
static Object *find_opal_drive(const char *id, Error **errp)
{
    Object *obj = object_resolve_path_type(id, TYPE_OPAL_DRIVE, NULL);

    if (!obj) {
        DeviceState *dev = qdev_find_recursive(sysbus_get_default(), id);

        obj = dev ? object_dynamic_cast(OBJECT(dev), TYPE_OPAL_DRIVE) : NULL;
    }
    if (!obj) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND, "'%s' is not an Opal drive", id);
    }
    return obj;
}

void qmp_opal_power_cycle(const char *id, Error **errp)
{
    Object *obj = find_opal_drive(id, errp);

    if (obj) {
        OPAL_DRIVE_GET_CLASS(obj)->power_cycle(obj);
    }
}

static const TypeInfo opal_drive_info = {
    .name = TYPE_OPAL_DRIVE,
    .parent = TYPE_INTERFACE,
    .class_size = sizeof(OpalDriveClass),
};

static void opal_drive_register_types(void)
{
    type_register_static(&opal_drive_info);
}

type_init(opal_drive_register_types)
