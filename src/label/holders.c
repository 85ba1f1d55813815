/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Holder records and file journal values (holders.h): parse, format, and
 * the one decision labelling makes about a record.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>

#include "holders.h"

bool label_id_valid(const char *s) {
        if (!s || strlen(s) != LABEL_ID_STRLEN)
                return false;
        for (const char *c = s; *c; c++)
                if (!isxdigit((unsigned char) *c) && *c != '-')
                        return false;
        return true;
}

bool label_token_valid(const char *s) {
        if (!s || !*s)
                return false;
        for (const unsigned char *c = (const unsigned char *) s; *c; c++)
                if (*c <= ' ' || *c >= 0x7f)
                        return false;
        return true;
}

void label_holders_done(LabelHolders *h) {
        free(h->original);
        for (size_t i = 0; i < h->n_uuids; i++)
                free(h->uuids[i]);
        free(h->uuids);
        *h = (LabelHolders){};
}

bool label_holders_has(const LabelHolders *h, const char *uuid) {
        for (size_t i = 0; i < h->n_uuids; i++)
                if (strcasecmp(h->uuids[i], uuid) == 0)
                        return true;
        return false;
}

int label_holders_add(LabelHolders *h, const char *uuid) {
        char **n;

        if (!label_id_valid(uuid))
                return -EINVAL;
        if (label_holders_has(h, uuid))
                return 0;
        n = reallocarray(h->uuids, h->n_uuids + 1, sizeof(char *));
        if (!n)
                return -ENOMEM;
        h->uuids = n;
        h->uuids[h->n_uuids] = strdup(uuid);
        if (!h->uuids[h->n_uuids])
                return -ENOMEM;
        h->n_uuids++;
        return 0;
}

bool label_holders_remove(LabelHolders *h, const char *uuid) {
        for (size_t i = 0; i < h->n_uuids; i++) {
                if (strcasecmp(h->uuids[i], uuid) != 0)
                        continue;
                free(h->uuids[i]);
                memmove(h->uuids + i, h->uuids + i + 1, (h->n_uuids - i - 1) * sizeof(char *));
                h->n_uuids--;
                return true;
        }
        return false;
}

int label_holders_parse(const char *value, LabelHolders *ret) {
        _cleanup_(label_holders_done) LabelHolders h = {};
        _cleanup_free_ char *copy = NULL;
        char *save = NULL, *boot, *orig, *tok;

        if (!value)
                return -EBADMSG;
        copy = strdup(value);
        if (!copy)
                return -ENOMEM;
        boot = strtok_r(copy, " ", &save);
        orig = strtok_r(NULL, " ", &save);
        if (!label_id_valid(boot) || !label_token_valid(orig))
                return -EBADMSG;
        strcpy(h.boot_id, boot);
        h.original = strdup(orig);
        if (!h.original)
                return -ENOMEM;
        while ((tok = strtok_r(NULL, " ", &save))) {
                int r = label_holders_add(&h, tok);
                if (r < 0)
                        return r == -EINVAL ? -EBADMSG : r;
        }
        *ret = h;
        h = (LabelHolders){};
        return 0;
}

int label_holders_format(const LabelHolders *h, char **ret) {
        size_t len = LABEL_ID_STRLEN + 2 + (h->original ? strlen(h->original) : 0) +
                     h->n_uuids * (LABEL_ID_STRLEN + 1);
        char *s, *p;

        if (!label_id_valid(h->boot_id) || !label_token_valid(h->original))
                return -EINVAL;
        for (size_t i = 0; i < h->n_uuids; i++)
                if (!label_id_valid(h->uuids[i]))
                        return -EINVAL;
        s = malloc(len);
        if (!s)
                return -ENOMEM;
        p = stpcpy(stpcpy(stpcpy(s, h->boot_id), " "), h->original);
        for (size_t i = 0; i < h->n_uuids; i++)
                p = stpcpy(stpcpy(p, " "), h->uuids[i]);
        *ret = s;
        return 0;
}

static int holders_copy(const LabelHolders *h, bool with_uuids, LabelHolders *ret) {
        _cleanup_(label_holders_done) LabelHolders n = {};

        snprintf(n.boot_id, sizeof(n.boot_id), "%s", h->boot_id);
        n.original = strdup(h->original);
        if (!n.original)
                return -ENOMEM;
        for (size_t i = 0; with_uuids && i < h->n_uuids; i++) {
                int r = label_holders_add(&n, h->uuids[i]);
                if (r < 0)
                        return r;
        }
        *ret = n;
        n = (LabelHolders){};
        return 0;
}

int label_holders_decide(const LabelHolders *cur, const char *current, const char *boot_id, const char *uuid,
                         LabelHolders *ret_next) {
        _cleanup_(label_holders_done) LabelHolders next = {};
        LabelHoldAction action;
        int r;

        if (!label_id_valid(boot_id) || !label_id_valid(uuid) || (!cur && !label_token_valid(current)))
                return -EINVAL;
        if (!cur) {
                action = LABEL_HOLD_NEW;
                r = holders_copy(&(LabelHolders){ .original = (char *) current }, false, &next);
        } else if (strcasecmp(cur->boot_id, boot_id) != 0) {
                /* Its holders died with their boot; the original is
                 * still the one from before the first of them. */
                action = LABEL_HOLD_STALE;
                r = holders_copy(cur, /* with_uuids= */ false, &next);
        } else {
                action = label_holders_has(cur, uuid) ? LABEL_HOLD_AGAIN : LABEL_HOLD_JOIN;
                r = holders_copy(cur, /* with_uuids= */ true, &next);
        }
        if (r < 0)
                return r;
        snprintf(next.boot_id, sizeof(next.boot_id), "%s", boot_id);
        r = label_holders_add(&next, uuid);
        if (r < 0)
                return r;
        *ret_next = next;
        next = (LabelHolders){};
        return action;
}

void label_file_record_done(LabelFileRecord *r) {
        free(r->original);
        *r = (LabelFileRecord){};
}

int label_file_record_format(const LabelFileRecord *r, char **ret) {
        if (!label_id_valid(r->uuid) || !label_token_valid(r->original))
                return -EINVAL;
        return asprintf(ret, "%" PRIu64 ":%" PRIu64 " %s %s %s", r->dev, r->ino, r->uuid,
                        r->held ? "held" : "plain", r->original) < 0
                       ? -ENOMEM
                       : 0;
}

/* A decimal uint64 with nothing after it but end. */
static int parse_u64(const char *s, const char **end, uint64_t *ret) {
        uint64_t v = 0;
        const char *p = s;

        if (!isdigit((unsigned char) *p))
                return -EBADMSG;
        for (; isdigit((unsigned char) *p); p++) {
                unsigned d = (unsigned) (*p - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -EBADMSG;
                v = v * 10 + d;
        }
        *end = p;
        *ret = v;
        return 0;
}

int label_file_record_parse(const char *value, LabelFileRecord *ret) {
        _cleanup_free_ char *copy = NULL;
        char *save = NULL, *inode, *uuid, *mode, *orig;
        LabelFileRecord r = {};
        const char *e;

        if (!value)
                return -EBADMSG;
        copy = strdup(value);
        if (!copy)
                return -ENOMEM;
        inode = strtok_r(copy, " ", &save);
        uuid = strtok_r(NULL, " ", &save);
        mode = strtok_r(NULL, " ", &save);
        orig = strtok_r(NULL, " ", &save);
        if (!inode || parse_u64(inode, &e, &r.dev) < 0 || *e != ':' || parse_u64(e + 1, &e, &r.ino) < 0 ||
            *e != '\0' || !label_id_valid(uuid) || !mode || !(streq(mode, "held") || streq(mode, "plain")) ||
            !label_token_valid(orig) || strtok_r(NULL, " ", &save))
                return -EBADMSG;
        strcpy(r.uuid, uuid);
        r.held = streq(mode, "held");
        r.original = strdup(orig);
        if (!r.original)
                return -ENOMEM;
        *ret = r;
        return 0;
}
