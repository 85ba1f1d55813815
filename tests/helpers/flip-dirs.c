/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * flip-dirs A B [SECONDS]: swap the names A and B with
 * renameat2(RENAME_EXCHANGE) in a tight loop — atomically, so at every
 * instant each name exists and is one of the two — until SECONDS have
 * passed (default: until SIGTERM/SIGINT). Prints the number of flips.
 *
 * The attacker's half of a path race, for tests that privileged code
 * resolving a caller's path (or a directory on it) never wins: make A a
 * directory of one's own and B a symlink to (or a directory of) someone
 * else's, and run the privileged operation on A/... meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
        stop = 1;
}

int main(int argc, char **argv) {
        struct sigaction sa = { .sa_handler = on_signal };
        unsigned long long flips = 0;
        time_t until = 0;

        if (argc < 3 || argc > 4) {
                fprintf(stderr, "usage: %s A B [SECONDS]\n", argv[0]);
                return 2;
        }
        if (argc == 4)
                until = time(NULL) + atoi(argv[3]);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        while (!stop && (!until || (flips & 1023) || time(NULL) < until)) {
                if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) < 0) {
                        fprintf(stderr, "flip-dirs: exchange %s and %s: %s\n", argv[1], argv[2],
                                strerror(errno));
                        return 1;
                }
                flips++;
        }
        /* An even number leaves the names as they were. */
        if (flips & 1)
                (void) renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE);
        printf("%llu\n", flips);
        return 0;
}
