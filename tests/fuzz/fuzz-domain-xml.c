/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Domain XML: parse, check the model, format, parse the text again and
 * format it again.
 *
 * Promises checked (domain.h, domain-xml.h, the parser's own checks):
 * - an error is -EINVAL with one line "FILE:LINE: ..." and no control
 *   characters (it is printed by vmctl validate and logged);
 * - an accepted domain satisfies the cross-element checks the parser
 *   makes (name, memory, vCPUs and topology, absolute paths, unique disk
 *   targets, boot orders and controller indexes, unicast MACs);
 * - the formatter writes only what the parser accepts, and parse ->
 *   format -> parse -> format gives the same text twice;
 * - each disk, formatted alone as for hotplug, parses as a fragment and
 *   formats back to the same text.
 */

#include "domain-xml.h"
#include "fuzz.h"

/* domain-xml-devices.c: CONTROLLER_INDEX_MAX */
#define FUZZ_CONTROLLER_INDEX_MAX 255U

static void check_error(int r, const char *error, const char *filename) {
        if (r == -ENOMEM)
                return;
        fuzz_assert(r == -EINVAL);
        fuzz_assert(error);
        if (!fuzz_error_lines(error, filename))
                fuzz_fail("error lines are not each one clean FILE:... line: %s", error);
}

static void check_path(const char *path) {
        fuzz_assert(!path || path[0] == '/');
}

static bool boot_order_used_before(const Domain *d, unsigned order, size_t index) {
        size_t i = 0;

        for (size_t k = 0; k < d->n_disks; k++, i++)
                if (i < index && d->disks[k].boot_order == order)
                        return true;
        for (size_t k = 0; k < d->n_interfaces; k++, i++)
                if (i < index && d->interfaces[k].boot_order == order)
                        return true;
        return false;
}

static void check_devices(const Domain *d) {
        check_path(d->emulator);
        for (size_t i = 0; i < d->n_disks; i++) {
                const DomainDisk *disk = &d->disks[i];

                fuzz_assert(disk->target_dev && *disk->target_dev);
                fuzz_assert(disk->source || disk->device != DOMAIN_DISK_DEVICE_DISK);
                check_path(disk->source);
                for (size_t j = 0; j < i; j++)
                        fuzz_assert(strcmp(d->disks[j].target_dev, disk->target_dev) != 0);
                if (disk->boot_order > 0)
                        fuzz_assert(!boot_order_used_before(d, disk->boot_order, i));
        }
        for (size_t i = 0; i < d->n_interfaces; i++) {
                fuzz_assert(!(d->interfaces[i].mac[0] & 1));
                if (d->interfaces[i].boot_order > 0)
                        fuzz_assert(!boot_order_used_before(d, d->interfaces[i].boot_order, d->n_disks + i));
        }
        for (size_t i = 0; i < d->n_chars; i++) {
                const DomainChar *ch = &d->chars[i];

                if (ch->type == DOMAIN_CHAR_FILE || ch->type == DOMAIN_CHAR_UNIX)
                        fuzz_assert(ch->path);
                check_path(ch->path);
        }
        for (size_t i = 0; i < d->n_controllers; i++) {
                const DomainController *ctl = &d->controllers[i];

                fuzz_assert(ctl->index <= FUZZ_CONTROLLER_INDEX_MAX);
                for (size_t j = 0; j < i; j++)
                        fuzz_assert(d->controllers[j].type != ctl->type ||
                                    d->controllers[j].index != ctl->index);
        }
        for (size_t i = 0; i < d->n_graphics; i++)
                check_path(d->graphics[i].socket);
}

static void check_model(const Domain *d) {
        const DomainCpu *cpu = &d->cpu;
        const char *why = NULL;

        fuzz_assert(domain_name_check(d->name, &why) == 0);
        fuzz_assert(d->memory_kib > 0);
        fuzz_assert(d->current_memory_kib <= d->memory_kib);
        fuzz_assert(d->vcpus >= 1);
        fuzz_assert(d->vcpus_current <= d->vcpus);
        const DomainCpuTopology *t = &cpu->topology;
        if (t->sockets || t->dies || t->clusters || t->cores || t->threads) {
                /* Counted in 64 bits: the factors go up to 4096 each. */
                uint64_t n = (uint64_t) (t->sockets ?: 1) * (t->dies ?: 1) * (t->clusters ?: 1) *
                             (t->cores ?: 1) * (t->threads ?: 1);
                if (n != d->vcpus)
                        fuzz_fail("topology of %llu vCPUs accepted for %u vCPUs", (unsigned long long) n,
                                  d->vcpus);
        }
        check_path(d->os.kernel);
        check_path(d->os.initrd);
        check_path(d->os.loader);
        check_path(d->os.nvram);
        check_path(d->os.nvram_template);
        check_devices(d);
}

static char *format_checked(const Domain *d) {
        char *text = NULL;

        fuzz_assert(domain_format_xml(d, &text) == 0);
        fuzz_assert(text);
        return text;
}

static void check_disk_round_trip(const DomainDisk *disk) {
        _cleanup_free_ char *first = NULL, *second = NULL, *error = NULL;
        _cleanup_domain_ Domain *fragment = NULL;
        int r;

        fuzz_assert(domain_format_disk_xml(disk, &first) == 0);
        r = domain_parse_disk_fragment(first, strlen(first), "disk.xml", &fragment, &error);
        if (r == -ENOMEM)
                return;
        if (r < 0)
                fuzz_fail("formatted disk does not parse: %s\n%s", error, first);
        fuzz_assert(fragment->n_disks == 1);
        fuzz_assert(domain_format_disk_xml(&fragment->disks[0], &second) == 0);
        if (strcmp(first, second) != 0)
                fuzz_fail("disk round trip differs:\n%s---\n%s", first, second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_domain_ Domain *d = NULL, *again = NULL;
        _cleanup_free_ char *error = NULL, *first = NULL, *second = NULL;
        int r;

        r = domain_parse_buffer((const char *) data, size, "fuzz.xml", &d, &error);
        if (r < 0) {
                check_error(r, error, "fuzz.xml");
                return 0;
        }
        fuzz_assert(r == 0 && d);
        check_model(d);

        first = format_checked(d);
        free(TAKE_PTR(error));
        r = domain_parse_buffer(first, strlen(first), "formatted.xml", &again, &error);
        if (r == -ENOMEM)
                return 0;
        if (r < 0)
                fuzz_fail("formatted domain does not parse: %s\n%s", error, first);
        check_model(again);
        second = format_checked(again);
        if (strcmp(first, second) != 0)
                fuzz_fail("round trip differs:\n%s---\n%s", first, second);

        for (size_t i = 0; i < d->n_disks; i++)
                check_disk_round_trip(&d->disks[i]);
        return 0;
}
