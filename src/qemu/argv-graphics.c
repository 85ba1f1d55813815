/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "paths.h"
#include "qemu-argv-internal.h"

/* ---- VNC ------------------------------------------------------------------ */

static bool address_valid(const char *a) {
        return *a && strspn(a, "0123456789abcdefABCDEF.:") == strlen(a);
}

/* A password is not on the command line: password=on makes QEMU refuse
 * every client until the supervisor sets it over QMP before "cont". */
static int vnc_options(QemuArgvBuilder *b, const DomainGraphics *g, char **opt) {
        static const char *const share[] = {
                [DOMAIN_GRAPHICS_SHARE_ALLOW_EXCLUSIVE] = "allow-exclusive",
                [DOMAIN_GRAPHICS_SHARE_FORCE_SHARED] = "force-shared",
                [DOMAIN_GRAPHICS_SHARE_IGNORE] = "ignore",
        };
        int r = 0;

        if (g->passwd)
                r = qemu_argv_appendf(opt, "password=on");
        if (r >= 0 && g->share_policy)
                r = qemu_argv_appendf(opt, "share=%s", share[g->share_policy]);
        return r;
}

/* VNC display numbers are port - 5900. Without a fixed port, QEMU itself
 * picks the first free display in 0..99 (to=99), which is what autoport
 * means; the supervisor learns the port from query-vnc. */
static int build_vnc(QemuArgvBuilder *b, const DomainGraphics *g) {
        _cleanup_free_ char *opt = NULL, *esc = NULL;
        const char *listen = g->listen ?: "127.0.0.1";
        bool v6 = strchr(listen, ':');
        int r;

        if (g->socket) {
                if (strlen(g->socket) > UNIX_PATH_LIMIT)
                        return qemu_argv_fail(
                                b, "VNC socket path %s is longer than the UNIX socket limit of %d bytes",
                                g->socket, UNIX_PATH_LIMIT);
                esc = qemu_opt_escape(g->socket);
                r = esc ? qemu_argv_appendf(&opt, "unix:%s", esc) : -ENOMEM;
        } else if (g->listen_el.type == DOMAIN_GRAPHICS_LISTEN_NONE)
                r = qemu_argv_appendf(&opt, "none");
        else if (!address_valid(listen))
                return qemu_argv_fail(b, "VNC listen address '%s' must be an IPv4 or IPv6 address", listen);
        else if (g->autoport || g->port < 0)
                r = qemu_argv_appendf(&opt, "%s%s%s:0,to=99", v6 ? "[" : "", listen, v6 ? "]" : "");
        else if (g->port < 5900 || g->port > 65535)
                return qemu_argv_fail(b, "VNC port %d out of range (5900..65535)", g->port);
        else
                r = qemu_argv_appendf(&opt, "%s%s%s:%d", v6 ? "[" : "", listen, v6 ? "]" : "",
                                      g->port - 5900);
        if (r >= 0)
                r = vnc_options(b, g, &opt);
        if (r < 0)
                return r;
        return qemu_argv_add(b, "-vnc", "%s", opt);
}

/* ---- SPICE ---------------------------------------------------------------- */

/* Where SPICE listens: a TCP port on an address, a UNIX socket, or
 * nowhere (listen 'none': clients come through a passed fd later).
 * Autoport: the port the supervisor found free (o->spice_port); without
 * one (domxml-to-native, tests), libvirt's first port, 5900. */
static int spice_listen(QemuArgvBuilder *b, const DomainGraphics *g, char **opt) {
        _cleanup_free_ char *esc = NULL;
        const char *listen = g->listen ?: "127.0.0.1";
        int port = g->autoport ? (b->o->spice_port > 0 ? b->o->spice_port : 5900) : g->port;

        if (g->socket) {
                if (strlen(g->socket) > UNIX_PATH_LIMIT)
                        return qemu_argv_fail(
                                b, "SPICE socket path %s is longer than the UNIX socket limit of %d bytes",
                                g->socket, UNIX_PATH_LIMIT);
                esc = qemu_opt_escape(g->socket);
                return esc ? qemu_argv_appendf(opt, "unix=on,addr=%s", esc) : -ENOMEM;
        }
        if (g->listen_el.type == DOMAIN_GRAPHICS_LISTEN_NONE)
                return qemu_argv_appendf(opt, "port=0");
        if (!address_valid(listen))
                return qemu_argv_fail(b, "SPICE listen address '%s' must be an IPv4 or IPv6 address",
                                      listen);
        return qemu_argv_appendf(opt, "port=%d,addr=%s", port, listen);
}

static int spice_channels(const DomainGraphics *g, char **opt) {
        static const char *const names[] = { NULL,       "main",   "display",   "inputs",   "cursor",
                                             "playback", "record", "smartcard", "usbredir", "webdav" };
        int r = 0;

        for (size_t i = 0; r >= 0 && i < g->n_channels; i++)
                if (g->channels[i].mode == 3) /* insecure; secure is refused, any is the default */
                        r = qemu_argv_appendf(opt, "plaintext-channel=%s", names[g->channels[i].name]);
        return r;
}

/* The tuning children, in libvirt's order. */
static int spice_tuning(const DomainGraphics *g, char **opt) {
        static const char *const image[] = { NULL, "auto_glz", "auto_lz", "quic", "glz", "lz", "off" };
        static const char *const wan[] = { NULL, "auto", "never", "always" };
        static const char *const streaming[] = { NULL, "filter", "all", "off" };
        int r = 0;

        if (g->image_compression)
                r = qemu_argv_appendf(opt, "image-compression=%s", image[g->image_compression]);
        if (r >= 0 && g->jpeg_compression)
                r = qemu_argv_appendf(opt, "jpeg-wan-compression=%s", wan[g->jpeg_compression]);
        if (r >= 0 && g->zlib_compression)
                r = qemu_argv_appendf(opt, "zlib-glz-wan-compression=%s", wan[g->zlib_compression]);
        if (r >= 0 && g->playback_compression)
                r = qemu_argv_appendf(opt, "playback-compression=%s",
                                      g->playback_compression == DOMAIN_TRISTATE_ON ? "on" : "off");
        if (r >= 0 && g->streaming_mode)
                r = qemu_argv_appendf(opt, "streaming-video=%s", streaming[g->streaming_mode]);
        if (r >= 0 && g->mouse_mode)
                r = qemu_argv_appendf(opt, "agent-mouse=%s", g->mouse_mode == 2 ? "on" : "off");
        if (r >= 0 && g->copypaste == DOMAIN_TRISTATE_OFF)
                r = qemu_argv_appendf(opt, "disable-copy-paste=on");
        if (r >= 0 && g->filetransfer == DOMAIN_TRISTATE_OFF)
                r = qemu_argv_appendf(opt, "disable-agent-file-xfer=on");
        return r;
}

/* Without a passwd, libvirt turns ticketing off; with one, QEMU starts
 * with ticketing on and no password (nobody gets in) until the
 * supervisor sets it over QMP before "cont". */
static int build_spice(QemuArgvBuilder *b, const DomainGraphics *g) {
        _cleanup_free_ char *opt = NULL;
        int r;

        r = spice_listen(b, g, &opt);
        if (r >= 0 && !g->passwd)
                r = qemu_argv_appendf(&opt, "disable-ticketing=on");
        if (r >= 0)
                r = spice_channels(g, &opt);
        if (r >= 0)
                r = spice_tuning(g, &opt);
        if (r >= 0)
                r = qemu_argv_appendf(&opt, "seamless-migration=on");
        if (r < 0)
                return r;
        return qemu_argv_add(b, "-spice", "%s", opt);
}

int qemu_argv_build_graphics(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        bool vnc = false, spice = false, keymap_done = false;
        int r;

        for (size_t i = 0; i < d->n_graphics; i++) {
                const DomainGraphics *g = &d->graphics[i];
                bool *seen = g->type == DOMAIN_GRAPHICS_SPICE ? &spice : &vnc;

                if (g->type == DOMAIN_GRAPHICS_NONE)
                        continue;
                if (g->type != DOMAIN_GRAPHICS_VNC && g->type != DOMAIN_GRAPHICS_SPICE)
                        return qemu_argv_fail(b, "unsupported graphics type");

                if (*seen)
                        return qemu_argv_fail(b, "only one <graphics> of each type is supported");
                *seen = true;
                /* QEMU has one keymap (-k) for all displays. */
                if (g->keymap && !keymap_done) {
                        keymap_done = true;
                        r = qemu_argv_add(b, "-k", "%s", g->keymap);
                        if (r < 0)
                                return r;
                }
                r = g->type == DOMAIN_GRAPHICS_SPICE ? build_spice(b, g) : build_vnc(b, g);
                if (r < 0)
                        return r;
        }
        /* Headless, or type='none': QEMU would otherwise open a window. */
        if (!vnc && !spice)
                return qemu_argv_add(b, "-display", "%s", "none");
        return 0;
}

/* ---- video ---------------------------------------------------------------- */

/* vram -> the device's video memory size property, where it has one. */
static int video_vram_opt(QemuArgvBuilder *b, const DomainVideo *v, char **dev) {
        unsigned mib = v->vram_kib / 1024;

        if (v->vram_kib == 0)
                return 0;
        switch (v->model) {
        case DOMAIN_VIDEO_VGA:
        case DOMAIN_VIDEO_DEFAULT:
                if (v->vram_kib % 1024 || mib < 1 || mib > 512)
                        return qemu_argv_fail(b, "<video vram> for VGA must be whole MiB, 1..512 MiB");
                return qemu_argv_appendf(dev, "vgamem_mb=%u", mib);
        case DOMAIN_VIDEO_CIRRUS:
                /* libvirt never passes vram to cirrus-vga (it sizes
                 * vgamem_mb only for VGA, vmware-svga and qxl) and writes
                 * vram='16384' or '9216' into cirrus domains: the value is
                 * kept in the XML and the card has QEMU's 4 MiB, as under
                 * libvirt. */
                return 0;
        case DOMAIN_VIDEO_BOCHS: return qemu_argv_appendf(dev, "vgamem=%uk", v->vram_kib);
        default:
                /* virtio-vga and ramfb size their framebuffer from the
                 * guest's mode; libvirt ignores vram for them too. */
                return 0;
        }
}

/* qxl's memory bars in bytes (ram, vram) and MiB (vram64, vgamem, the
 * latter for the primary only), as libvirt passes them. */
static int video_qxl_opts(QemuArgvBuilder *b, const DomainVideo *v, bool primary, char **dev) {
        const DomainVideoModelDef *m = &v->m;
        int r = 0;

        if ((m->vram64_kib % 1024) || (m->vgamem_kib % 1024))
                return qemu_argv_fail(b, "qxl vram64 and vgamem must be whole MiB");
        if (m->ram_kib)
                r = qemu_argv_appendf(dev, "ram_size=%llu", (unsigned long long) m->ram_kib * 1024);
        if (r >= 0 && m->vram_kib)
                r = qemu_argv_appendf(dev, "vram_size=%llu", (unsigned long long) m->vram_kib * 1024);
        if (r >= 0 && m->vram64_kib)
                r = qemu_argv_appendf(dev, "vram64_size_mb=%u", m->vram64_kib / 1024);
        if (r >= 0 && primary && m->vgamem_kib)
                r = qemu_argv_appendf(dev, "vgamem_mb=%u", m->vgamem_kib / 1024);
        return r;
}

bool qemu_argv_video(const Domain *d, DomainVideo *ret) {
        if (d->n_videos >= 1)
                *ret = d->videos[0];
        else if (d->n_graphics == 0)
                return false; /* headless: no video unless asked for */
        else
                *ret = (DomainVideo){ .model = DOMAIN_VIDEO_DEFAULT };
        return ret->model != DOMAIN_VIDEO_NONE;
}

static int build_one_video(QemuArgvBuilder *b, size_t i, const DomainVideo *v) {
        static const char *const primary[] = {
                [DOMAIN_VIDEO_DEFAULT] = "VGA",         [DOMAIN_VIDEO_VGA] = "VGA",
                [DOMAIN_VIDEO_CIRRUS] = "cirrus-vga",   [DOMAIN_VIDEO_VIRTIO] = "virtio-vga",
                [DOMAIN_VIDEO_BOCHS] = "bochs-display", [DOMAIN_VIDEO_RAMFB] = "ramfb",
                [DOMAIN_VIDEO_QXL] = "qxl-vga",
        };
        _cleanup_free_ char *dev = NULL;
        const char *alias, *driver;
        char id[32];
        int r;

        if ((size_t) v->model >= ELEMENTSOF(primary) || !primary[v->model])
                return qemu_argv_fail(b, "unsupported video model");
        driver = primary[v->model];
        if (i > 0 && v->model == DOMAIN_VIDEO_QXL)
                driver = "qxl";
        else if (i > 0 && v->model == DOMAIN_VIDEO_VIRTIO)
                driver = "virtio-gpu-pci";
        else if (i > 0)
                return qemu_argv_fail(b, "a secondary video must be of model 'qxl' or 'virtio'");
        snprintf(id, sizeof(id), "video%zu", i);
        r = qemu_argv_user_alias(b, &v->info, &alias);
        if (r >= 0)
                r = qemu_argv_appendf(&dev, "%s,id=%s", driver, alias ?: id);
        if (r >= 0 && v->model == DOMAIN_VIDEO_QXL)
                r = video_qxl_opts(b, v, i == 0, &dev);
        else if (r >= 0)
                r = video_vram_opt(b, v, &dev);
        if (r >= 0 && v->m.heads > 0 && (v->model == DOMAIN_VIDEO_QXL || v->model == DOMAIN_VIDEO_VIRTIO))
                r = qemu_argv_appendf(&dev, "max_outputs=%u", v->m.heads);
        if (r >= 0 && v->model == DOMAIN_VIDEO_VIRTIO)
                r = qemu_argv_virtio_options(&dev, &v->virtio);
        if (r < 0)
                return r;
        return qemu_argv_add_device(b, QEMU_PCI_VIDEO, i, "%s", dev);
}

int qemu_argv_build_video(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        DomainVideo v;
        int r;

        if (!qemu_argv_video(d, &v))
                return d->n_videos > 1 ? qemu_argv_fail(b, "a secondary video needs a primary one") : 0;
        r = build_one_video(b, 0, &v);
        for (size_t i = 1; r >= 0 && i < d->n_videos; i++) {
                if (d->videos[i].model != v.model)
                        return qemu_argv_fail(b, "a secondary video must be of the primary's model");
                r = build_one_video(b, i, &d->videos[i]);
        }
        return r;
}
