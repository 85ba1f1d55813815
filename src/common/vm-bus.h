/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The VM's D-Bus object (DESIGN.md "D-Bus"): the supervisor owns
 * org.vmunit.vm.LABEL and serves interface org.vmunit.VM1 at
 * /org/vmunit/vm. This header holds the names and the pure name escaping
 * (bus-name.c), which vmctl and the supervisor share;
 * the supervisor's hooks (bus_attach() etc.) are declared in supervisor.h.
 */

#define VMUNIT_BUS_NAME_PREFIX "org.vmunit.vm."
#define VMUNIT_BUS_PATH "/org/vmunit/vm"
#define VMUNIT_BUS_INTERFACE "org.vmunit.VM1"

#define VMUNIT_BUS_ERROR_INVALID_STATE "org.vmunit.Error.InvalidState"
#define VMUNIT_BUS_ERROR_FAILED "org.vmunit.Error.Failed"
#define VMUNIT_BUS_ERROR_NOT_SUPPORTED "org.vmunit.Error.NotSupported"
#define VMUNIT_BUS_ERROR_INVALID_ARGS "org.vmunit.Error.InvalidArgs" /* bad XML, bad path */
#define VMUNIT_BUS_ERROR_BUSY "org.vmunit.Error.Busy"                /* another operation runs */
#define VMUNIT_BUS_ERROR_TIMEOUT "org.vmunit.Error.Timeout"          /* e.g. guest never released a disk */
#define VMUNIT_BUS_ERROR_ACCESS_DENIED \
        "org.vmunit.Error.AccessDenied" /* a method's own rule, beyond the policy */

/* The D-Bus name element for a domain name: every byte outside
 * [A-Za-z0-9] (so '_' too, which keeps the mapping one-to-one) and a
 * leading digit become "_xx", two lowercase hex digits. On success
 * *ret is a new string the caller frees. Returns 0, -EINVAL for an empty
 * or NULL name, -ENOMEM. */
int bus_label_escape(const char *name, char **ret);

/* "org.vmunit.vm." + bus_label_escape(name). Returns 0, -EINVAL,
 * -ENAMETOOLONG when the result would exceed D-Bus's 255-byte limit, or
 * -ENOMEM. *ret is the caller's on success. */
int bus_service_name(const char *name, char **ret);
