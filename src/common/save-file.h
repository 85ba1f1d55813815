/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The save file (vmctl save, Save(path), managed save): a small text
 * header of our own, the domain XML it was saved with, then QEMU's
 * migration stream as QEMU wrote it:
 *
 *     VMUNIT-SAVE 1\n
 *     state: running\n            (or paused: what the guest was doing)
 *     xml-size: 1234\n
 *     \n
 *     <1234 bytes of domain XML><QEMU migration stream ...>
 *
 * The supervisor writes it (QEMU never opens the file: it writes into a
 * pipe); vmctl restore and the supervisor read it back.
 */

#include <stdbool.h>
#include <stddef.h>

#define SAVE_FILE_MAGIC "VMUNIT-SAVE 1\n"
#define SAVE_FILE_XML_MAX (16U * 1024U * 1024U)
/* The text header before the XML is never longer than this. */
#define SAVE_FILE_PREAMBLE_MAX 4096U

/* In the domain's state directory (paths_domain_state_dir()): */
#define SAVE_MANAGED_NAME "managed.save"               /* on_host_shutdown=save */
#define SAVE_MANAGED_FAILED_NAME "managed.save.failed" /* one QEMU could not load */
#define SAVE_RESTORE_REQUEST_NAME "restore"            /* vmctl restore: symlink to the file */

typedef struct SaveHeader {
        bool running;      /* the guest ran when saved (else it was paused) */
        size_t xml_offset; /* where the XML starts */
        size_t xml_size;
} SaveHeader;

/* Header text plus xml for a new save file. Stores a malloc'd buffer and
 * its length. Returns 0, -EINVAL (xml NULL or too large) or -ENOMEM. */
int save_header_format(const char *xml, bool running, char **ret, size_t *ret_len);

/* Parse the start of a save file (len bytes, the whole preamble must be
 * there). Returns 0, -EBADMSG (not a vmunit save file), -EPROTONOSUPPORT
 * (a vmunit save file of another version) or -EINVAL (damaged header). */
int save_header_parse(const char *buf, size_t len, SaveHeader *ret);

/* Read the header and XML of the save file open at fd (blocking) and
 * leave fd at the start of QEMU's stream. On success *ret_xml is the
 * caller's. On failure *ret_error (if not NULL) says why in a few words
 * (caller frees); returns the errors of save_header_parse(), -EIO for a
 * short file, or -errno from read/lseek. */
int save_file_read_header(int fd, SaveHeader *ret, char **ret_xml, char **ret_error);
