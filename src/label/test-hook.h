/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Test-only pause points, compiled in only with meson -Dtest_hooks=true
 * (off by default; production builds have neither the calls nor the
 * environment variables below).
 *
 * test_hook("STEP") marks a journalled step of labelling or restoring.
 * With VMUNIT_TEST_PAUSE_AT=STEP (or STEP#N: the N-th time the step is
 * reached in this process) the process writes "PID STEP\n" to the file
 * VMUNIT_TEST_PAUSE_FILE names and stops itself (SIGSTOP), so a test can
 * SIGKILL it exactly there and check that --cleanup undoes the rest.
 * With VMUNIT_TEST_TRACE_FILE=PATH every step reached is appended to PATH
 * as "PID STEP\n" (pausing or not), so a test can learn the steps of a
 * whole run, and how many times each comes, from one run.
 *
 * test_hook_boot_id() is VMUNIT_TEST_BOOT_ID when set: a test plays a
 * reboot (power loss) by changing the boot id the label library sees.
 */

#if defined(VMUNIT_TEST_HOOKS)
void test_hook(const char *step);
const char *test_hook_boot_id(void);
#else
static inline void test_hook(const char *step) {
}
static inline const char *test_hook_boot_id(void) {
        return NULL;
}
#endif
