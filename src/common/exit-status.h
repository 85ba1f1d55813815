/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The supervisor's exit codes (DESIGN.md, "Supervisor contract"). The unit
 * file's RestartPreventExitStatus= and scripts rely on these numbers. */
typedef enum VmunitExitStatus {
        VMUNIT_EXIT_OK = 0,           /* guest powered off / stopped on request */
        VMUNIT_EXIT_CONFIG = 1,       /* invalid configuration */
        VMUNIT_EXIT_HOST = 2,         /* host resource problem */
        VMUNIT_EXIT_QEMU_DIED = 3,    /* QEMU died unexpectedly */
        VMUNIT_EXIT_GUEST_CRASHED = 4 /* guest crashed and on_crash said destroy */
} VmunitExitStatus;
