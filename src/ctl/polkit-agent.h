/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Whether a person may be asked for a password: not root, on a terminal. */
bool polkit_agent_wanted(void);

/* Start pkttyagent for this process when wanted and installed; returns its
 * pid once it has registered (or given up), or 0 when none was started. */
pid_t polkit_agent_start(void);

/* Stop the agent polkit_agent_start() returned (0: nothing to do). */
void polkit_agent_stop(pid_t pid);
