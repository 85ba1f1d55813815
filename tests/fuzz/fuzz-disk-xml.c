/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * A hotplug <disk> fragment (AttachDevice/DetachDevice: the XML comes
 * from a D-Bus caller), read by domain_parse_disk_fragment().
 *
 * Promises checked (domain-xml.h): errors are -EINVAL with one line
 * "FILE:LINE: /disk/...: message" and no control characters; an accepted
 * fragment is one disk with a target, an absolute source (or none, for a
 * removable medium); domain_format_disk_xml() writes what the fragment
 * parser reads back to the very same text.
 */

#include "domain-xml.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_domain_ Domain *d = NULL, *again = NULL;
        _cleanup_free_ char *error = NULL, *first = NULL, *second = NULL;
        const DomainDisk *disk;
        int r;

        r = domain_parse_disk_fragment((const char *) data, size, "disk.xml", &d, &error);
        if (r == -ENOMEM)
                return 0;
        if (r < 0) {
                fuzz_assert(r == -EINVAL);
                fuzz_assert(error);
                if (!fuzz_error_lines(error, "disk.xml"))
                        fuzz_fail("error lines are not each one clean FILE:... line: %s", error);
                return 0;
        }
        fuzz_assert(d && d->n_disks == 1);
        disk = &d->disks[0];
        fuzz_assert(disk->target_dev && *disk->target_dev);
        fuzz_assert(!disk->source || disk->source[0] == '/');
        fuzz_assert(disk->source || disk->device != DOMAIN_DISK_DEVICE_DISK);

        fuzz_assert(domain_format_disk_xml(disk, &first) == 0);
        free(TAKE_PTR(error));
        r = domain_parse_disk_fragment(first, strlen(first), "formatted.xml", &again, &error);
        if (r == -ENOMEM)
                return 0;
        if (r < 0)
                fuzz_fail("formatted disk does not parse: %s\n%s", error, first);
        fuzz_assert(again->n_disks == 1);
        fuzz_assert(domain_format_disk_xml(&again->disks[0], &second) == 0);
        if (strcmp(first, second) != 0)
                fuzz_fail("disk round trip differs:\n%s---\n%s", first, second);
        return 0;
}
