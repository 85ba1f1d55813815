/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <string.h>

#include "vm-bus.h"
#include "macro.h"

static void check_label(const char *name, const char *want) {
        _cleanup_free_ char *got = NULL;

        cr_assert_eq(bus_label_escape(name, &got), 0, "escape(%s)", name);
        cr_assert_str_eq(got, want, "escape(%s)", name);
}

Test(bus_name, plain_names_unchanged) {
        check_label("demo", "demo");
        check_label("Web1", "Web1");
        check_label("a", "a");
}

Test(bus_name, other_bytes_become_hex) {
        check_label("web-1", "web_2d1");
        check_label("db.prod", "db_2eprod");
        check_label("a:b", "a_3ab");
        check_label("a b", "a_20b");
        check_label("caf\xc3\xa9", "caf_c3_a9");
}

Test(bus_name, underscore_is_escaped_so_the_mapping_is_one_to_one) {
        check_label("a_b", "a_5fb");
        check_label("_", "_5f");
        /* "a-b" and "a_2db" must not collide. */
        check_label("a_2db", "a_5f2db");
        check_label("a-b", "a_2db");
}

Test(bus_name, leading_digit_escaped_others_kept) {
        check_label("1vm", "_31vm");
        check_label("007", "_3007");
        check_label("vm1", "vm1");
}

Test(bus_name, empty_or_null_refused) {
        char *out = (char *) 0x1;

        cr_assert_eq(bus_label_escape("", &out), -EINVAL);
        cr_assert_eq(bus_label_escape(NULL, &out), -EINVAL);
        cr_assert_eq(out, (char *) 0x1, "ret written on failure");
}

Test(bus_name, service_name) {
        _cleanup_free_ char *n = NULL;

        cr_assert_eq(bus_service_name("web-1", &n), 0);
        cr_assert_str_eq(n, "org.vmunit.vm.web_2d1");
}

Test(bus_name, service_name_length_limit) {
        char name[256];
        _cleanup_free_ char *ok = NULL;
        char *out = NULL;

        /* 14-byte prefix + 241 = 255: the limit exactly. */
        memset(name, 'a', 241);
        name[241] = '\0';
        cr_assert_eq(bus_service_name(name, &ok), 0);
        cr_assert_eq(strlen(ok), 255);
        name[241] = 'a';
        name[242] = '\0';
        cr_assert_eq(bus_service_name(name, &out), -ENAMETOOLONG);
        /* Escaping counts: 81 dashes are 243 bytes. */
        memset(name, '-', 81);
        name[81] = '\0';
        cr_assert_eq(bus_service_name(name, &out), -ENAMETOOLONG);
        cr_assert_null(out);
}
