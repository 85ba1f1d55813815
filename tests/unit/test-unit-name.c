/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <string.h>

#include "macro.h"
#include "unit-name.h"

static void check_escape(const char *name, const char *want) {
        _cleanup_free_ char *got = NULL, *back = NULL;

        cr_assert_eq(unit_instance_escape(name, &got), 0, "escape(%s)", name);
        cr_assert_str_eq(got, want);
        cr_assert_eq(unit_instance_unescape(got, &back), 0, "unescape(%s)", got);
        cr_assert_str_eq(back, name);
}

Test(unit_name, escape_plain_names) {
        check_escape("web-1", "web-1");
        check_escape("db.prod", "db.prod");
        check_escape("A:b_c.d-e", "A:b_c.d-e");
        check_escape("a..b", "a..b");
}

Test(unit_name, escape_odd_bytes) {
        check_escape("a b", "a\\x20b");
        check_escape(".hidden", "\\x2ehidden");
        check_escape("..", "\\x2e.");
        check_escape("back\\slash", "back\\x5cslash");
        check_escape("100%", "100\\x25");
        check_escape("caf\xc3\xa9", "caf\\xc3\\xa9");
        check_escape("tab\there", "tab\\x09here");
}

Test(unit_name, escape_refuses) {
        char *s = NULL;

        cr_assert_eq(unit_instance_escape("", &s), -EINVAL);
        cr_assert_eq(unit_instance_escape("a/b", &s), -EINVAL);
        cr_assert_eq(unit_instance_escape("/", &s), -EINVAL);
        cr_assert_null(s);
}

Test(unit_name, unescape_refuses_malformed) {
        static const char *const bad[] = {
                "",         /* empty */
                "a\\",      /* dangling backslash */
                "a\\x2",    /* short escape */
                "a\\x2g",   /* not hex */
                "a\\u0020", /* only \xNN */
                "a\\\\b",   /* not \xNN */
                "a\\x2fb",  /* '/' */
                "a\\x00b",  /* NUL */
                "a\\x2db",  /* '-' needs no escaping: not canonical */
                "a\\x2Cb",  /* upper-case hex: not canonical */
                "a b",      /* raw space: not canonical */
                ".x",       /* leading dot must be escaped */
                "\\x2f",    /* only '/' */
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *s = NULL;

                cr_assert_eq(unit_instance_unescape(bad[i], &s), -EINVAL, "'%s'", bad[i]);
                cr_assert_null(s);
        }
}

Test(unit_name, vm_unit_name) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

        cr_assert_eq(vm_unit_name("web-1", &a), 0);
        cr_assert_str_eq(a, "vm@web-1.service");
        cr_assert_eq(vm_unit_name("a b", &b), 0);
        cr_assert_str_eq(b, "vm@a\\x20b.service");
        cr_assert_eq(vm_unit_name(".x", &c), 0);
        cr_assert_str_eq(c, "vm@\\x2ex.service");
}

Test(unit_name, vm_unit_name_refuses) {
        char *s = NULL;

        cr_assert_eq(vm_unit_name("", &s), -EINVAL);
        cr_assert_eq(vm_unit_name("a/b", &s), -EINVAL);
        cr_assert_null(s);
}

Test(unit_name, vm_unit_name_length_limit) {
        char name[301];
        _cleanup_free_ char *ok = NULL;
        char *s = NULL;

        memset(name, 'x', 300);
        name[300] = 0;
        cr_assert_eq(vm_unit_name(name, &s), -ENAMETOOLONG);

        /* 255 - strlen("vm@.service") = 244 bytes of instance fit exactly. */
        name[244] = 0;
        cr_assert_eq(vm_unit_name(name, &ok), 0);
        cr_assert_eq(strlen(ok), (size_t) UNIT_NAME_MAX);
        name[244] = 'x';
        name[245] = 0;
        cr_assert_eq(vm_unit_name(name, &s), -ENAMETOOLONG);

        /* Escaping counts: 61 spaces are 244 bytes, 62 are 248. */
        memset(name, ' ', 62);
        name[62] = 0;
        cr_assert_eq(vm_unit_name(name, &s), -ENAMETOOLONG);
        cr_assert_null(s);
}

Test(unit_name, round_trip_all_bytes) {
        char name[256];
        size_t n = 0;

        for (int c = 1; c < 256; c++)
                if (c != '/')
                        name[n++] = (char) c;
        name[n] = 0;

        _cleanup_free_ char *esc = NULL, *back = NULL;
        cr_assert_eq(unit_instance_escape(name, &esc), 0);
        for (const char *p = esc; *p; p++)
                cr_assert(
                        strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.-\\", *p));
        cr_assert_eq(unit_instance_unescape(esc, &back), 0);
        cr_assert_str_eq(back, name);
}
