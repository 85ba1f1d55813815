/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * flip-dirs A B: swap the directories A and B with
 * renameat2(RENAME_EXCHANGE) in a tight loop until killed, as an attacker
 * racing a privileged path resolution would. Prints "flipping" once it
 * has swapped at least once, and on SIGTERM the number of swaps.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/fs.h>

static volatile sig_atomic_t stop;

static void on_term(int sig) {
        stop = 1;
}

int main(int argc, char **argv) {
        unsigned long n = 0;

        if (argc != 3) {
                fprintf(stderr, "usage: flip-dirs A B\n");
                return 1;
        }
        signal(SIGTERM, on_term);
        while (!stop) {
                if (syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) < 0) {
                        perror("renameat2");
                        return 1;
                }
                if (++n == 1) {
                        printf("flipping\n");
                        fflush(stdout);
                }
        }
        printf("%lu swaps\n", n);
        return 0;
}
