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
#include "qapi/qapi-visit-opal.h"
#include "qemu/module.h"
#include "qobject/qdict.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
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
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                  "'%s' is not an Opal drive", id);
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

void qmp_opal_psid_revert(const char *id, Error **errp)
{
    Object *obj = find_opal_drive(id, errp);

    if (obj) {
        OPAL_DRIVE_GET_CLASS(obj)->psid_revert(obj);
    }
}

/* A drive's state as query-opal shows it, named as QOM knows it. */
static OpalInfo *query_drive(Object *obj)
{
    OpalInfo *info = OPAL_DRIVE_GET_CLASS(obj)->query(obj);

    info->id = g_strdup(DEVICE(obj)->id);
    info->qom_path = object_get_canonical_path(obj);
    return info;
}

static int add_opal_drive(Object *obj, void *opaque)
{
    OpalInfoList ***tail = opaque;

    if (object_dynamic_cast(obj, TYPE_OPAL_DRIVE)) {
        QAPI_LIST_APPEND(*tail, query_drive(obj));
    }
    return 0;
}

OpalInfoList *qmp_query_opal(const char *id, Error **errp)
{
    OpalInfoList *list = NULL, **tail = &list;
    Object *obj;

    if (!id) {
        object_child_foreach_recursive(object_get_root(), add_opal_drive,
                                       &tail);
        return list;
    }
    obj = find_opal_drive(id, errp);
    if (obj) {
        QAPI_LIST_APPEND(tail, query_drive(obj));
    }
    return list;
}

/* The SPs as the Opal specifications name them. */
static const char *sp_name(OpalSecurityProvider sp)
{
    return sp == OPAL_SECURITY_PROVIDER_ADMIN_SP ? "AdminSP" : "LockingSP";
}

static void print_resets(Monitor *mon, const char *what,
                         OpalResetTypeList *list)
{
    monitor_printf(mon, ", %s {", what);
    for (; list; list = list->next) {
        monitor_printf(mon, "%s%s", OpalResetType_str(list->value),
                       list->next ? "," : "");
    }
    monitor_printf(mon, "}");
}

/* HMP opal_power_cycle ID and opal_psid_revert ID: the QMP commands. */
void hmp_opal_power_cycle(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;

    qmp_opal_power_cycle(qdict_get_str(qdict, "id"), &err);
    hmp_handle_error(mon, err);
}

void hmp_opal_psid_revert(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;

    qmp_opal_psid_revert(qdict_get_str(qdict, "id"), &err);
    hmp_handle_error(mon, err);
}

/* One drive of HMP info opal: a line per object. */
static void print_drive(Monitor *mon, const OpalInfo *info)
{
    uint64List *t;
    strList *who;

    monitor_printf(mon, "%s (%s):\n", info->id ?: "(no id)", info->qom_path);
    monitor_printf(mon, "  AdminSP: %s, LockingSP: %s\n",
                   OpalLifeCycleState_str(info->admin_sp),
                   OpalLifeCycleState_str(info->locking_sp));
    for (OpalAuthorityList *a = info->authorities; a; a = a->next) {
        OpalAuthority *v = a->value;

        monitor_printf(mon, "  %s %-8s %s", sp_name(v->sp), v->name,
                       v->enabled ? "enabled" : "disabled");
        if (v->has_tries) {
            monitor_printf(mon,
                           ", %" PRIu64 " failed tries (limit %" PRIu64 ")%s",
                           v->tries, v->try_limit,
                           v->locked_out ? ", LOCKED OUT" : "");
        }
        monitor_printf(mon, "\n");
    }
    for (OpalLockingRangeList *r = info->ranges; r; r = r->next) {
        OpalLockingRange *v = r->value;

        g_autofree char *name = v->number ?
            g_strdup_printf("Range%u", v->number) : g_strdup("GlobalRange");

        monitor_printf(mon,
                       "  %s: LBA %" PRIu64 "+%" PRIu64
                       ", read %s%s, write %s%s",
                       name, v->start, v->length,
                       v->read_locked ? "locked" : "unlocked",
                       v->read_lock_enabled ? "" : " (lock disabled)",
                       v->write_locked ? "locked" : "unlocked",
                       v->write_lock_enabled ? "" : " (lock disabled)");
        print_resets(mon, "LockOnReset", v->lock_on_reset);
        monitor_printf(mon, ", key %s",
                       v->key_in_memory ? "in memory" : "wrapped");
        if (v->owner) {
            monitor_printf(mon, ", single-user: %s's", v->owner);
        }
        monitor_printf(mon, "\n");
    }
    monitor_printf(mon, "  MBR: %s, %s, %" PRIu64 " bytes",
                   info->mbr->enable ? "enabled" : "disabled",
                   info->mbr->done ? "done" : "not done", info->mbr->size);
    print_resets(mon, "DoneOnReset", info->mbr->done_on_reset);
    monitor_printf(mon, "\n  DataStore tables (bytes):");
    for (t = info->datastore_tables; t; t = t->next) {
        monitor_printf(mon, " %" PRIu64, t->value);
    }
    monitor_printf(mon, "\n");
    for (OpalSessionInfoList *s = info->sessions; s; s = s->next) {
        monitor_printf(mon, "  session %u (host %u): %s, %s,", s->value->tsn,
                       s->value->hsn, sp_name(s->value->sp),
                       s->value->write ? "read-write" : "read-only");
        for (who = s->value->authorities; who; who = who->next) {
            monitor_printf(mon, " %s", who->value);
        }
        monitor_printf(mon, "%s\n", s->value->authorities ? "" : " Anybody");
    }
}

/* HMP info opal [ID]: query-opal, every drive or the one named. */
void hmp_info_opal(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    g_autoptr(OpalInfoList) list =
        qmp_query_opal(qdict_get_try_str(qdict, "id"), &err);

    if (hmp_handle_error(mon, err)) {
        return;
    }
    if (!list) {
        monitor_printf(mon, "No Opal drive\n");
    }
    for (OpalInfoList *l = list; l; l = l->next) {
        print_drive(mon, l->value);
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
