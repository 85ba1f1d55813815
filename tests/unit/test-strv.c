/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>

#include "strv.h"

Test(strv, push_and_steal) {
        _cleanup_strv_ Strv v = {};
        char **a;

        cr_assert_eq(strv_push(&v, "a"), 0);
        for (int i = 0; i < 40; i++)
                cr_assert_eq(strv_pushf(&v, "x%d", i), 0);
        cr_assert_eq(v.n, 41);
        cr_assert_str_eq(v.items[0], "a");
        cr_assert_str_eq(v.items[40], "x39");
        cr_assert_null(v.items[41]);
        a = strv_steal(&v);
        cr_assert_eq(v.n, 0);
        cr_assert_str_eq(a[1], "x0");
        strv_free_array(a);
}

Test(strv, steal_empty_gives_empty_array) {
        Strv v = {};
        char **a = strv_steal(&v);

        cr_assert_not_null(a);
        cr_assert_null(a[0]);
        strv_free_array(a);
}

Test(strv, consume_null_is_enomem) {
        _cleanup_strv_ Strv v = {};

        cr_assert_eq(strv_consume(&v, NULL), -ENOMEM);
}
