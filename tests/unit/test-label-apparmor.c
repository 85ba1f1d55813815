/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "domain-xml.h"
#include "label.h"

/*
 * The AppArmor backend's handling of <seclabel> (apparmor.c), on any
 * host: type='none' and a static profile generate, write and load
 * nothing, so their whole flow runs without AppArmor; a static profile
 * that is not loaded makes the exec label fail (fail closed).
 */

static Domain *parse(const char *seclabel) {
        _cleanup_free_ char *xml = NULL, *err = NULL;
        Domain *d = NULL;

        cr_assert_geq(asprintf(&xml,
                               "<domain type='qemu'><name>n</name>"
                               "<uuid>0a0a0a0a-0000-4000-8000-00000000000a</uuid><memory>1</memory>"
                               "<os><type>hvm</type></os>%s</domain>",
                               seclabel),
                      0);
        cr_assert_eq(domain_parse_buffer(xml, strlen(xml), "mem.xml", &d, &err), 0, "%s", err);
        return d;
}

static LabelContext context_for(const Domain *d) {
        LabelContext c = { .domain = d, .name = d->name, .qemu_uid = (uid_t) -1, .qemu_gid = (gid_t) -1 };

        domain_uuid_format(d->uuid, c.uuid);
        return c;
}

/* generate, label a file with characters no AppArmor rule may hold (no
 * rule is written, so nothing to refuse), commit, release: all no-ops. */
static void assert_no_policy_flow(LabelContext *c) {
        const LabelBackend *b = &label_backend_apparmor;
        VmFile f = VM_FILE_NULL;

        f.source = f.path = (char *) "/nonexistent/a{b}.img";
        cr_assert_eq(b->generate(c), 0, "%s", c->error ?: "");
        cr_assert_not_null(c->data[2]);
        cr_assert_eq(b->label_file(c, &f), 0);
        cr_assert_eq(b->commit(c), 0);
        cr_assert_eq(b->restore_file(c, &f), 0);
}

Test(apparmor_seclabel, none_confines_nothing) {
        _cleanup_domain_ Domain *d = parse("<seclabel type='none'/>");
        LabelContext c = context_for(d);

        assert_no_policy_flow(&c);
        cr_assert_eq(label_backend_apparmor.set_exec_label(&c), 0);
        cr_assert_eq(label_backend_apparmor.release(&c), 0);
        cr_assert_null(c.data[2]);
}

Test(apparmor_seclabel, none_with_apparmor_model) {
        _cleanup_domain_ Domain *d = parse("<seclabel type='none' model='apparmor'/>");
        LabelContext c = context_for(d);

        assert_no_policy_flow(&c);
        cr_assert_eq(label_backend_apparmor.set_exec_label(&c), 0);
        cr_assert_eq(label_backend_apparmor.release(&c), 0);
}

Test(apparmor_seclabel, static_profile_not_loaded_fails_closed) {
        _cleanup_domain_ Domain *d =
                parse("<seclabel type='static' model='apparmor'><label>vmunit-test-no-such-profile</label>"
                      "</seclabel>");
        LabelContext c = context_for(d);

        assert_no_policy_flow(&c);
        cr_assert_lt(label_backend_apparmor.set_exec_label(&c), 0);
        cr_assert_eq(label_backend_apparmor.release(&c), 0);
}

Test(apparmor_seclabel, static_relabel_refused) {
        _cleanup_domain_ Domain *d =
                parse("<seclabel type='static' model='apparmor' relabel='yes'><label>p</label></seclabel>");
        LabelContext c = context_for(d);

        cr_assert_eq(label_backend_apparmor.generate(&c), -EOPNOTSUPP);
        cr_assert_str_eq(c.error, "static AppArmor <seclabel> with relabel='yes' is not supported");
        cr_assert_null(c.data[2]);
        free(c.error);
}
