/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Unit names for domains: the instance of vm@.service is the domain name
 * as typed, so `systemctl start vm@web-1` starts domain "web-1". Bytes
 * outside [A-Za-z0-9:_.-] (and a leading '.') are written \xNN with
 * lowercase hex, as systemd's unit_name_escape() does, but unlike it '/'
 * is refused rather than turned into '-', and '-' stays '-' (which is why
 * the supervisor takes %i, never %I).
 */

#define UNIT_NAME_MAX 255 /* systemd: strlen(name) < UNIT_NAME_MAX (256) */

/* Escape a domain name into a unit instance string. Returns 0 and a
 * malloc'd string in *ret (caller frees), -EINVAL for an empty name or one
 * containing '/', -ENOMEM. */
int unit_instance_escape(const char *name, char **ret);

/* The inverse of unit_instance_escape(). Strict: only \xNN escapes are
 * understood, and only the canonical spelling (the one
 * unit_instance_escape() produces) is accepted, so that exactly one unit
 * name maps to each domain. Returns 0 and a malloc'd string in *ret
 * (caller frees); -EINVAL for a malformed or non-canonical instance, or
 * one whose unescaped form is empty or contains '/' or NUL; -ENOMEM. */
int unit_instance_unescape(const char *instance, char **ret);

/* "vm@ESCAPED.service" for a domain name. Returns 0 and a malloc'd string
 * in *ret (caller frees); -EINVAL for an empty name or one containing '/';
 * -ENAMETOOLONG if the unit name would exceed UNIT_NAME_MAX bytes;
 * -ENOMEM. */
int vm_unit_name(const char *domain_name, char **ret);
