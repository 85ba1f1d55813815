/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The save file (vmctl save, Save(h), SaveToPath(s), managed save): a
 * small text header of our own, the domain XML it was saved with, QEMU's
 * migration stream as QEMU wrote it, and a fixed-length trailer that
 * authenticates all of it:
 *
 *     VMUNIT-SAVE 2\n
 *     state: running\n            (or paused: what the guest was doing)
 *     xml-size: 1234\n
 *     \n
 *     <1234 bytes of domain XML><QEMU migration stream ...>
 *     VMUNIT-HMAC-SHA256 <64 hex digits>\n          (SAVE_FILE_TRAILER_SIZE bytes)
 *
 * The MAC is HMAC-SHA256 over every byte before the trailer, keyed with
 * this host's save key (save_key_load()): 32 random bytes, root's, 0600,
 * in the state directory's root (/var/lib/vmunit/save.key, R/lib/save.key).
 * Why: a Save(h) file is written to a caller's fd and so belongs to the
 * caller, who could edit the XML or the stream; restore runs as root and
 * must load only what this host's supervisor wrote. Format 1 files (no
 * trailer) are refused.
 *
 * The supervisor writes it (QEMU never opens the file: it writes into a
 * pipe); vmctl restore reads the header, the supervisor verifies all of it
 * before QEMU sees a byte.
 */

#include <nettle/hmac.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"

#define SAVE_FILE_MAGIC "VMUNIT-SAVE 2\n"
#define SAVE_FILE_XML_MAX (16U * 1024U * 1024U)
/* The text header before the XML is never longer than this. */
#define SAVE_FILE_PREAMBLE_MAX 4096U
#define SAVE_FILE_TRAILER_PREFIX "VMUNIT-HMAC-SHA256 "
/* prefix + 64 hex digits + "\n" */
#define SAVE_FILE_TRAILER_SIZE (sizeof(SAVE_FILE_TRAILER_PREFIX) - 1 + 2 * SHA256_DIGEST_SIZE + 1)

/* In the domain's state directory (paths_domain_state_dir()): */
#define SAVE_MANAGED_NAME "managed.save"               /* on_host_shutdown=save */
#define SAVE_MANAGED_FAILED_NAME "managed.save.failed" /* one QEMU could not load */
#define SAVE_RESTORE_REQUEST_NAME "restore" /* vmctl restore: a root-owned link or copy of the file */
/* In the state directory's root (VmunitPaths.state_dir): */
#define SAVE_KEY_NAME "save.key"
#define SAVE_KEY_SIZE 32U

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
 * leave fd at the start of QEMU's stream. Checks the format only, not the
 * MAC (vmctl restore, which has no key). On success *ret_xml is the
 * caller's. On failure *ret_error (if not NULL) says why in a few words
 * (caller frees); returns the errors of save_header_parse(), -EIO for a
 * short file, or -errno from read/lseek. */
int save_file_read_header(int fd, SaveHeader *ret, char **ret_xml, char **ret_error);

/* The running MAC of a file being written or checked. */
typedef struct SaveMac {
        struct hmac_sha256_ctx ctx;
} SaveMac;

void save_mac_init(SaveMac *m, const uint8_t key[static SAVE_KEY_SIZE]);
void save_mac_update(SaveMac *m, const void *buf, size_t len);
/* The trailer for what was fed so far (not NUL-terminated). */
void save_mac_trailer(SaveMac *m, char ret[static SAVE_FILE_TRAILER_SIZE]);

/* Called now and then while a long verification reads (bytes done of
 * total), so the caller can tell systemd it is making progress. */
typedef void (*SaveProgressFn)(uint64_t done, uint64_t total, void *userdata);

typedef struct SaveVerified {
        SaveHeader header;
        char *xml;              /* the domain XML of the header (owned) */
        uint64_t stream_offset; /* QEMU's stream: [offset, offset + size) */
        uint64_t stream_size;
} SaveVerified;

void save_verified_done(SaveVerified *v);

/* Read the whole save file at fd (from offset 0, with pread: fd's offset
 * is left alone) once, check its header and its MAC against key, and
 * describe it in *ret. Returns 0; -EBADMSG / -EPROTONOSUPPORT / -EINVAL
 * as save_header_parse(), -EIO for a short file, -EKEYREJECTED when the
 * MAC does not match (damaged, tampered with, or from another host), or
 * -errno; *ret_error says why in one line (caller frees). */
int save_file_verify(int fd, const uint8_t key[static SAVE_KEY_SIZE], SaveProgressFn progress,
                     void *userdata, SaveVerified *ret, char **ret_error);

/*
 * The host's save key, at SAVE_KEY_NAME in the directory dir_fd: read it,
 * or create it the first time (32 bytes from getrandom(), written to an
 * O_TMPFILE and linked into place, so a concurrent supervisor either
 * links first or reads the complete key; never a half-written one). The
 * key must be a regular file owned by our euid with no group/other
 * access and exactly SAVE_KEY_SIZE bytes, or it is refused (-EPERM /
 * -EBADMSG): a key others could read or replace authenticates nothing.
 * Returns 0 or -errno with *ret_error.
 */
int save_key_load(int dir_fd, uint8_t ret[static SAVE_KEY_SIZE], char **ret_error);

/*
 * Whether a file saved from the domain `saved` can be loaded into a QEMU
 * started from the domain `defined`: what decides migration compatibility
 * must be equal — name and UUID, and from the QEMU command line built
 * from each with the same options, -machine, -cpu, -smp, -m and every
 * -device, in order. Returns 0, -EINVAL with *ret_difference naming the
 * first difference (caller frees), or another -errno (argv build).
 */
int save_domains_compatible(const Domain *defined, const Domain *saved, char **ret_difference);
