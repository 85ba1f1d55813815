/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "domain-xml-internal.h"

/*
 * <resource><partition>/machine/tenant</partition></resource>: the
 * cgroup partition libvirt places the VM in. Under systemd a partition is
 * a slice path ("/machine" is machine.slice, "/machine/a" is
 * machine-a.slice), so the generated unit gets Slice= from it.
 */

static bool partition_component_valid(const char *s, size_t n) {
        if (n == 0 || s[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", s[i]))
                        return false;
        return true;
}

static bool partition_valid(const char *p) {
        if (p[0] != '/' || !p[1])
                return false;
        for (const char *c = p + 1;;) {
                size_t n = strcspn(c, "/");

                if (!partition_component_valid(c, n))
                        return false;
                if (!c[n])
                        return true;
                c += n + 1;
        }
}

static int resource_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainResource *r = obj;

        if (r->partition && !partition_valid(r->partition))
                return xml_fail(c, n,
                                "partition '%s' is not a slice path: '/' then names of letters, digits, "
                                "'_', '.' and '-' separated by '/'",
                                r->partition);
        return 0;
}

static const XmlValue partition_values[] = {
        { NULL, XML_T_STRING, 0, XML_REQUIRED, NULL, 0, 0, 0 },
};
static XML_ELEMENT(partition_element, "partition", char *, partition_values, (const XmlSub[]){}, NULL);

static const XmlSub resource_subs[] = {
        XML_INLINE(partition_element, DomainResource, partition),
        XML_REFUSED("fibrechannel", "fibre-channel application IDs are not supported"),
};

XML_ELEMENT(domain_xml_resource, "resource", DomainResource, (const XmlValue[]){}, resource_subs,
            resource_check);

/* Each component joined with '-', a '-' inside one escaped as systemd
 * escapes unit names. */
int domain_resource_slice(const DomainResource *r, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f;

        if (!r->partition)
                return -ENOENT;
        if (!partition_valid(r->partition))
                return -EINVAL;
        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        for (const char *p = r->partition + 1; *p; p++)
                if (*p == '/')
                        fputc('-', f);
                else if (*p == '-')
                        fputs("\\x2d", f);
                else
                        fputc(*p, f);
        fputs(".slice", f);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}
