/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/* <watchdog model action>: a guest watchdog timer and what its expiry does. */

XML_ENUM_DEFINE_STATIC(watchdog_models, { "i6300esb", DOMAIN_WATCHDOG_I6300ESB },
                       { "ib700", DOMAIN_WATCHDOG_IB700 }, { "itco", DOMAIN_WATCHDOG_ITCO });

/* libvirt's "dump" (pause, dump guest memory into its auto-dump
 * directory, go on) needs a dump target the supervisor does not manage
 * yet: read, then refused with that reason (watchdog_check). */
XML_ENUM_DEFINE(domain_xml_watchdog_action, { "reset", DOMAIN_WATCHDOG_ACTION_RESET },
                { "shutdown", DOMAIN_WATCHDOG_ACTION_SHUTDOWN },
                { "poweroff", DOMAIN_WATCHDOG_ACTION_POWEROFF }, { "pause", DOMAIN_WATCHDOG_ACTION_PAUSE },
                { "none", DOMAIN_WATCHDOG_ACTION_NONE }, { "inject-nmi", DOMAIN_WATCHDOG_ACTION_INJECT_NMI },
                { "dump", DOMAIN_WATCHDOG_ACTION_DUMP });

static const XmlValue watchdog_values[] = {
        { "model", XML_T_ENUM, offsetof(DomainWatchdog, model), XML_REQUIRED, &watchdog_models, 0, 0, 0 },
        { "action", XML_T_ENUM, offsetof(DomainWatchdog, action), 0, &domain_xml_watchdog_action, 0, 0, 0 },
};

static const XmlSub watchdog_subs[] = {
        DOMAIN_XML_INFO_SUBS(DomainWatchdog),
};

/* QEMU has one action for all watchdogs (-action watchdog=...). */
static int watchdog_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainWatchdog *w = obj;
        const Domain *d = parent;

        if (w->action == DOMAIN_WATCHDOG_ACTION_DUMP)
                return xml_fail(c, n,
                                "action='dump' is not supported: libvirt dumps the guest's memory into its "
                                "auto-dump directory, which vmunit does not manage; use pause or reset");
        for (const DomainWatchdog *o = d->watchdogs; o < w; o++) {
                if (o->model == w->model)
                        return xml_fail(c, n, "a second watchdog of model '%s'",
                                        xml_enum_to_string(&watchdog_models, w->model));
                if ((o->action ?: DOMAIN_WATCHDOG_ACTION_RESET) !=
                    (w->action ?: DOMAIN_WATCHDOG_ACTION_RESET))
                        return xml_fail(c, n, "all watchdogs must have the same action");
        }
        if (w->model == DOMAIN_WATCHDOG_ITCO && w->info.address)
                return xml_fail(c, n, "the itco watchdog is part of the chipset and has no address");
        return 0;
}

XML_ELEMENT(domain_xml_watchdog, "watchdog", DomainWatchdog, watchdog_values, watchdog_subs, watchdog_check);
