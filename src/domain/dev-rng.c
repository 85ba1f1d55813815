/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/* <rng model='virtio'><rate/><backend model='random|builtin'/></rng>. */

XML_ENUM_DEFINE(domain_xml_virtio_model, { "virtio", DOMAIN_VIRTIO_MODEL_VIRTIO },
                { "virtio-transitional", DOMAIN_VIRTIO_MODEL_TRANSITIONAL },
                { "virtio-non-transitional", DOMAIN_VIRTIO_MODEL_NON_TRANSITIONAL });

XML_ENUM_DEFINE_STATIC(rng_backends, { "random", DOMAIN_RNG_BACKEND_RANDOM },
                       { "builtin", DOMAIN_RNG_BACKEND_BUILTIN });

/* What every QEMU may read (the default device ACL and the AppArmor
 * abstraction); a hardware RNG would need its own rule. */
XML_ENUM_DEFINE_STATIC(rng_random_devices, { "/dev/urandom", 0 }, { "/dev/random", 0 });

static const XmlValue rate_values[] = {
        { "bytes", XML_T_UINT, offsetof(DomainRngRate, bytes), XML_REQUIRED, NULL, 1, INT32_MAX, 0 },
        { "period", XML_T_UINT, offsetof(DomainRngRate, period), 0, NULL, 1, INT32_MAX, 0 },
};
static XML_ELEMENT(rate_element, "rate", DomainRngRate, rate_values, (const XmlSub[]){}, NULL);

static const XmlValue backend_values[] = {
        { "model", XML_T_ENUM, offsetof(DomainRngBackendDef, model), XML_REQUIRED, &rng_backends, 0, 0, 0 },
        { NULL, XML_T_TOKEN, offsetof(DomainRngBackendDef, device), 0, &rng_random_devices, 0, 0, 0 },
};

/* libvirt's default device for model='random' is /dev/urandom; it is
 * written back so the file says what QEMU reads. */
static int backend_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainRngBackendDef *b = obj;

        if (b->model == DOMAIN_RNG_BACKEND_BUILTIN && b->device)
                return xml_fail(c, n, "a builtin rng backend takes no device");
        if (b->model == DOMAIN_RNG_BACKEND_RANDOM && !b->device) {
                b->device = strdup("/dev/urandom");
                if (!b->device)
                        return -ENOMEM;
        }
        return 0;
}

static XML_ELEMENT(backend_element, "backend", DomainRngBackendDef, backend_values, (const XmlSub[]){},
                   backend_check);

static const XmlValue rng_values[] = {
        { "model", XML_T_ENUM, offsetof(DomainRng, model), XML_REQUIRED, &domain_xml_virtio_model, 0, 0, 0 },
};

static const XmlSub rng_subs[] = {
        XML_INLINE(rate_element, DomainRng, rate),
        { .kind = XML_SUB_INLINE,
          .elem = &backend_element,
          .offset = offsetof(DomainRng, backend),
          .flags = XML_REQUIRED },
        DOMAIN_XML_INFO_SUBS(DomainRng),
        DOMAIN_XML_VIRTIO_SUB(DomainRng),
};

XML_ELEMENT(domain_xml_rng, "rng", DomainRng, rng_values, rng_subs, NULL);
