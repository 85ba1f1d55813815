/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fake-polkit BUS_ADDRESS RULES LOG: a stand-in for polkitd on a private
 * bus, for the tests of the supervisor's polkit path (bus-access.c).
 * Owns org.freedesktop.PolicyKit1 and answers CheckAuthorization() for a
 * "system-bus-name" subject from RULES, one rule a line:
 *
 *   UID ACTION yes|no|challenge      (UID or ACTION may be *)
 *
 * The first rule matching the subject's uid (asked of the bus, as polkitd
 * does) and the action decides; no match is "no". RULES is read at every
 * call, so a test can change it between calls. Each call appends to LOG:
 *
 *   uid=UID action=ACTION name=NAME uuid=UUID flags=FLAGS -> ANSWER
 *
 * Prints "ready" on stdout once the name is owned.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

static const char *rules_path, *log_path;

static const char *decide(uid_t uid, const char *action) {
        static char answer[16];
        char line[512], who[32], what[256];
        FILE *f = fopen(rules_path, "re");

        strcpy(answer, "no");
        if (!f)
                return answer;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "%31s %255s %15s", who, what, answer) == 3 &&
                    (strcmp(who, "*") == 0 || strtoul(who, NULL, 10) == uid) &&
                    (strcmp(what, "*") == 0 || strcmp(what, action) == 0)) {
                        fclose(f);
                        return answer;
                }
        fclose(f);
        strcpy(answer, "no");
        return answer;
}

/* The subject: ("system-bus-name", {"name": <s>}); its uid from the bus. */
static int subject_uid(sd_bus_message *m, uid_t *ret) {
        sd_bus_creds *creds = NULL;
        const char *kind, *key, *name = NULL;
        int r;

        r = sd_bus_message_enter_container(m, 'r', "sa{sv}");
        if (r >= 0)
                r = sd_bus_message_read(m, "s", &kind);
        if (r < 0)
                return r;
        if (strcmp(kind, "system-bus-name") != 0)
                return -EINVAL;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0 && strcmp(key, "name") == 0)
                        r = sd_bus_message_read(m, "v", "s", &name);
                else if (r >= 0)
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0 || !name)
                return r < 0 ? r : -EINVAL;
        r = sd_bus_get_name_creds(sd_bus_message_get_bus(m), name, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, ret);
        sd_bus_creds_unref(creds);
        return r;
}

static int check_authorization(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *action, *key, *value, *cancel, *name = "", *uuid = "", *answer;
        uint32_t flags;
        uid_t uid;
        FILE *log;
        int r;

        (void) userdata;
        r = subject_uid(m, &uid);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "bad subject: %m");
        r = sd_bus_message_read(m, "s", &action);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "{ss}");
        while (r >= 0 && (r = sd_bus_message_read(m, "{ss}", &key, &value)) > 0) {
                if (strcmp(key, "name") == 0)
                        name = value;
                else if (strcmp(key, "uuid") == 0)
                        uuid = value;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_read(m, "us", &flags, &cancel);
        if (r < 0)
                return r;
        answer = decide(uid, action);
        log = fopen(log_path, "ae");
        if (log) {
                fprintf(log, "uid=%u action=%s name=%s uuid=%s flags=%u -> %s\n", (unsigned) uid, action,
                        name, uuid, (unsigned) flags, answer);
                fclose(log);
        }
        return sd_bus_reply_method_return(m, "(bba{ss})", strcmp(answer, "yes") == 0,
                                          strcmp(answer, "challenge") == 0, 0);
}

static const sd_bus_vtable authority_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("CheckAuthorization", "(sa{sv})sa{ss}us", "(bba{ss})", check_authorization,
                      SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int main(int argc, char **argv) {
        sd_bus *bus = NULL;
        int r;

        if (argc != 4) {
                fprintf(stderr, "usage: %s BUS_ADDRESS RULES LOG\n", argv[0]);
                return 2;
        }
        rules_path = argv[2];
        log_path = argv[3];
        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, argv[1]);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/PolicyKit1/Authority",
                                             "org.freedesktop.PolicyKit1.Authority", authority_vtable, NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, "org.freedesktop.PolicyKit1", 0);
        if (r < 0) {
                fprintf(stderr, "fake-polkit: %s\n", strerror(-r));
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
        for (;;) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return 1;
                if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
                        return 1;
        }
}
