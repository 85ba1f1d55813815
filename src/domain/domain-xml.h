/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Domain XML <-> model. The parser is strict: every element and attribute
 * it does not understand and that could change what the VM does is an
 * error naming it; purely informational ones (<metadata>, <description>,
 * <title>) are kept. Errors are one line:
 *
 *     FILE:LINE: /domain/devices/disk[2]/target: missing attribute 'dev'
 */

#include <stddef.h>

#include "domain.h"

/* Parse the domain in the file at path. On success returns 0 and stores a
 * new Domain in *ret (caller frees with domain_free). On failure returns
 * -EINVAL for invalid XML/content or -errno if the file cannot be read,
 * and, if ret_error is not NULL, stores a malloc'd one-line message in it
 * (caller frees). */
int domain_parse_file(const char *path, Domain **ret, char **ret_error);

/* As domain_parse_file, from memory; filename is used in messages only. */
int domain_parse_buffer(const char *buf, size_t len, const char *filename, Domain **ret, char **ret_error);

/* Format the model as domain XML (libvirt's layout, two-space indent,
 * trailing newline). Stores a malloc'd string in *ret. Returns 0 or
 * -ENOMEM. */
int domain_format_xml(const Domain *d, char **ret);

/* Hotplug (AttachDevice/DetachDevice): one <disk> element given alone,
 * read with the same rules as a <disk> inside <devices>. On success *ret
 * is a new Domain holding only that disk (disks[0]; caller frees with
 * domain_free). Errors as domain_parse_buffer(): -EINVAL with a one-line
 * "FILE:LINE: /disk/...: message" in *ret_error, also for a root element
 * other than <disk>. */
int domain_parse_disk_fragment(const char *buf, size_t len, const char *filename, Domain **ret,
                               char **ret_error);

/* One disk as a standalone <disk> element, exactly as domain_format_xml()
 * writes it inside <devices> (indentation included), in *ret (caller
 * frees). Returns 0 or -ENOMEM. */
int domain_format_disk_xml(const DomainDisk *disk, char **ret);
