/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>
#include <stdlib.h>

#include "domain-xml-internal.h"

/*
 * <clock offset adjustment basis timezone><timer .../></clock>: where the
 * guest's RTC starts and how its timers behave. The old <clock sync=>
 * spelling is read as offset= and written back as offset=.
 */

XML_ENUM_DEFINE(domain_xml_clock_offset, { "utc", DOMAIN_CLOCK_UTC },
                { "localtime", DOMAIN_CLOCK_LOCALTIME }, { "variable", DOMAIN_CLOCK_VARIABLE },
                { "timezone", DOMAIN_CLOCK_TIMEZONE });

XML_ENUM_DEFINE_STATIC(clock_basis, { "utc", DOMAIN_CLOCK_BASIS_UTC },
                       { "localtime", DOMAIN_CLOCK_BASIS_LOCALTIME });

XML_ENUM_DEFINE(domain_xml_tick_policy, { "delay", DOMAIN_TICK_DELAY }, { "catchup", DOMAIN_TICK_CATCHUP },
                { "merge", DOMAIN_TICK_MERGE }, { "discard", DOMAIN_TICK_DISCARD });

/* armvtimer is ARM's; libvirt's 'platform' timer is Xen's. */
XML_ENUM_DEFINE(domain_xml_timer_name, { "rtc", DOMAIN_XML_STRING }, { "pit", DOMAIN_XML_STRING },
                { "hpet", DOMAIN_XML_STRING }, { "kvmclock", DOMAIN_XML_STRING },
                { "hypervclock", DOMAIN_XML_STRING }, { "tsc", DOMAIN_XML_STRING });

/* 'boot' tracking is Xen's. */
XML_ENUM_DEFINE_STATIC(timer_track, { "guest", DOMAIN_TRACK_GUEST }, { "wall", DOMAIN_TRACK_WALL },
                       { "realtime", DOMAIN_TRACK_REALTIME });

/* 'paravirt' and 'smpsafe' are Xen's TSC modes. */
XML_ENUM_DEFINE_STATIC(timer_mode, { "auto", DOMAIN_TIMER_MODE_AUTO },
                       { "native", DOMAIN_TIMER_MODE_NATIVE }, { "emulate", DOMAIN_TIMER_MODE_EMULATE });

static const XmlSub timer_subs[] = {
        XML_REFUSED("catchup", "QEMU has no catch-up threshold, slew or limit settings"),
};

static int timer_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainTimer *t = obj;
        const DomainClock *clock = parent;

        for (const DomainTimer *o = clock->timers; o < t; o++)
                if (streq(o->name, t->name))
                        return xml_fail(c, n, "duplicate timer '%s'", t->name);
        if (t->track && !streq(t->name, "rtc"))
                return xml_fail(c, n, "only the rtc timer takes track=");
        if ((t->frequency.set || t->mode) && !streq(t->name, "tsc"))
                return xml_fail(c, n, "only the tsc timer takes frequency= and mode=");
        return 0;
}

static const XmlValue timer_values[] = {
        { "name", XML_T_TOKEN, offsetof(DomainTimer, name), XML_REQUIRED, &domain_xml_timer_name, 0, 0, 0 },
        { "tickpolicy", XML_T_ENUM, offsetof(DomainTimer, tickpolicy), 0, &domain_xml_tick_policy, 0, 0, 0 },
        { "present", XML_T_ENUM, offsetof(DomainTimer, present), 0, &xml_enum_yes_no, 0, 0, 0 },
        { "track", XML_T_ENUM, offsetof(DomainTimer, track), 0, &timer_track, 0, 0, 0 },
        { "frequency", XML_T_NUM, offsetof(DomainTimer, frequency), 0, NULL, 1, UINT32_MAX * 1000ULL, 0 },
        { "mode", XML_T_ENUM, offsetof(DomainTimer, mode), 0, &timer_mode, 0, 0, 0 },
};
static XML_ELEMENT(timer_element, "timer", DomainTimer, timer_values, timer_subs, timer_check);

/* "reset" or signed seconds, as libvirt takes them. */
static int adjustment_parse(const char *s, long long *ret) {
        char *end;

        if (!*s || strchr(" \t\n", *s))
                return -EINVAL;
        errno = 0;
        *ret = strtoll(s, &end, 10);
        return errno || *end ? -EINVAL : 0;
}

static bool timezone_valid(const char *tz) {
        /* A name from the zone database: what TZ= in QEMU's environment reads. */
        return *tz && tz[0] != '/' && tz[0] != ':' && !strstr(tz, "..") &&
               !tz[strspn(tz, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+-")];
}

static int clock_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainClock *clock = obj;
        long long adj;

        if (clock->sync) {
                if (clock->offset && clock->offset != clock->sync)
                        return xml_fail(c, n, "sync= and offset= disagree");
                clock->offset = clock->sync;
                clock->sync = DOMAIN_CLOCK_DEFAULT;
        }
        if (clock->timezone && clock->offset != DOMAIN_CLOCK_TIMEZONE)
                return xml_fail(c, n, "timezone= needs offset='timezone'");
        if (clock->offset == DOMAIN_CLOCK_TIMEZONE && !clock->timezone)
                return xml_fail(c, n, "offset='timezone' needs a timezone=");
        if (clock->timezone && !timezone_valid(clock->timezone))
                return xml_fail(c, n, "invalid timezone '%s'", clock->timezone);
        if (clock->basis && clock->offset != DOMAIN_CLOCK_VARIABLE)
                return xml_fail(c, n, "basis= needs offset='variable'");
        if (clock->adjustment) {
                if (clock->offset == DOMAIN_CLOCK_TIMEZONE || clock->offset == DOMAIN_CLOCK_DEFAULT)
                        return xml_fail(c, n, "adjustment= needs offset='variable', 'utc' or 'localtime'");
                if (clock->offset == DOMAIN_CLOCK_VARIABLE && streq(clock->adjustment, "reset"))
                        return xml_fail(c, n, "adjustment='reset' is for offset 'utc' or 'localtime'");
                if (!streq(clock->adjustment, "reset") && adjustment_parse(clock->adjustment, &adj) < 0)
                        return xml_fail(c, n, "invalid adjustment '%s'", clock->adjustment);
        }
        return 0;
}

static const XmlValue clock_values[] = {
        { "offset", XML_T_ENUM, offsetof(DomainClock, offset), 0, &domain_xml_clock_offset, 0, 0, 0 },
        { "sync", XML_T_ENUM, offsetof(DomainClock, sync), 0, &domain_xml_clock_offset, 0, 0, 0 },
        { "adjustment", XML_T_STRING, offsetof(DomainClock, adjustment), 0, NULL, 0, 0, 0 },
        { "basis", XML_T_ENUM, offsetof(DomainClock, basis), 0, &clock_basis, 0, 0, 0 },
        { "timezone", XML_T_STRING, offsetof(DomainClock, timezone), 0, NULL, 0, 0, 0 },
};

static const XmlSub clock_subs[] = {
        XML_ARRAY(timer_element, DomainClock, timers, n_timers),
};

XML_ELEMENT(domain_xml_clock, "clock", DomainClock, clock_values, clock_subs, clock_check);

int domain_clock_adjustment(const DomainClock *clock, long long *ret) {
        if (!clock->adjustment || streq(clock->adjustment, "reset")) {
                *ret = 0;
                return 0;
        }
        return adjustment_parse(clock->adjustment, ret);
}

/* <genid>: empty asks for a new one, made here and written back. */
static int genid_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainGenid *g = obj;
        uint8_t uuid[16];
        char buf[37];
        int r;

        if (g->value) {
                if (domain_uuid_parse(g->value, uuid) < 0)
                        return xml_fail(c, n, "invalid genid '%s'", g->value);
                domain_uuid_format(uuid, buf); /* canonical form for QEMU's guid= */
        } else {
                r = domain_uuid_generate(uuid);
                if (r < 0)
                        return r;
                domain_uuid_format(uuid, buf);
        }
        free(g->value);
        g->value = strdup(buf);
        return g->value ? 0 : -ENOMEM;
}

static const XmlValue genid_values[] = {
        { NULL, XML_T_STRING, offsetof(DomainGenid, value), 0, NULL, 0, 0, 0 },
};

XML_ELEMENT(domain_xml_genid, "genid", DomainGenid, genid_values, (const XmlSub[]){}, genid_check);
