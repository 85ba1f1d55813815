/* SPDX-License-Identifier: LGPL-2.1-or-later */
void _start(void);
void _start(void) {
        for (;;)
                ;
}
