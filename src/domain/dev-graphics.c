/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "domain-xml-internal.h"

/*
 * <graphics type='vnc|spice' port tlsPort autoport listen keymap passwd
 * passwdValidTo connected sharePolicy> with <listen> and SPICE's tuning
 * children. The port rules are libvirt's: autoport='yes' wins over a
 * port, no port (or -1) means autoport, a socket or 'none' listen has no
 * port. What was decided is written back (port='-1' autoport='yes').
 */

#define VNC_PORT_MIN 5900U /* QEMU takes a display number: port - 5900 */

XML_ENUM_DEFINE(domain_xml_graphics_type, { "vnc", DOMAIN_GRAPHICS_VNC }, { "spice", DOMAIN_GRAPHICS_SPICE },
                { "none", DOMAIN_GRAPHICS_NONE }, { "sdl", DOMAIN_GRAPHICS_SDL });

XML_ENUM_DEFINE_STATIC(listen_types, { "address", DOMAIN_GRAPHICS_LISTEN_ADDRESS },
                       { "socket", DOMAIN_GRAPHICS_LISTEN_SOCKET },
                       { "network", DOMAIN_GRAPHICS_LISTEN_NETWORK },
                       { "none", DOMAIN_GRAPHICS_LISTEN_NONE });

XML_ENUM_DEFINE_STATIC(connected_values, { "keep", DOMAIN_GRAPHICS_CONNECTED_KEEP },
                       { "disconnect", DOMAIN_GRAPHICS_CONNECTED_DISCONNECT },
                       { "fail", DOMAIN_GRAPHICS_CONNECTED_FAIL });

XML_ENUM_DEFINE_STATIC(share_policies, { "allow-exclusive", DOMAIN_GRAPHICS_SHARE_ALLOW_EXCLUSIVE },
                       { "force-shared", DOMAIN_GRAPHICS_SHARE_FORCE_SHARED },
                       { "ignore", DOMAIN_GRAPHICS_SHARE_IGNORE });

XML_ENUM_DEFINE(domain_xml_spice_image_compression, { "auto_glz", 1 }, { "auto_lz", 2 }, { "quic", 3 },
                { "glz", 4 }, { "lz", 5 }, { "off", 6 });
XML_ENUM_DEFINE(domain_xml_spice_wan_compression, { "auto", 1 }, { "never", 2 }, { "always", 3 });
XML_ENUM_DEFINE(domain_xml_spice_streaming, { "filter", 1 }, { "all", 2 }, { "off", 3 });
XML_ENUM_DEFINE(domain_xml_spice_mouse, { "server", 1 }, { "client", 2 });
XML_ENUM_DEFINE(domain_xml_spice_channel_name, { "main", 1 }, { "display", 2 }, { "inputs", 3 },
                { "cursor", 4 }, { "playback", 5 }, { "record", 6 }, { "smartcard", 7 }, { "usbredir", 8 },
                { "webdav", 9 });
XML_ENUM_DEFINE_STATIC(channel_modes, { "any", 1 }, { "secure", 2 }, { "insecure", 3 });

static const XmlValue listen_values[] = {
        { "type", XML_T_ENUM, offsetof(DomainGraphicsListen, type), XML_REQUIRED, &listen_types, 0, 0, 0 },
        { "address", XML_T_STRING, offsetof(DomainGraphicsListen, address), 0, NULL, 0, 0, 0 },
        { "network", XML_T_STRING, offsetof(DomainGraphicsListen, network), 0, NULL, 0, 0, 0 },
        { "socket", XML_T_PATH, offsetof(DomainGraphicsListen, socket), 0, NULL, 0, 0, 0 },
};

static int listen_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainGraphicsListen *l = obj;

        if (l->type == DOMAIN_GRAPHICS_LISTEN_NETWORK)
                return xml_fail(c, n,
                                "listen type 'network' is not supported: virtual networks are not "
                                "managed by vmunit; give the address instead");
        if (l->socket && l->type != DOMAIN_GRAPHICS_LISTEN_SOCKET)
                return xml_fail(c, n, "attribute 'socket' needs listen type 'socket'");
        if (l->type == DOMAIN_GRAPHICS_LISTEN_SOCKET && !l->socket)
                return xml_fail(c, n, "missing attribute 'socket'");
        if (l->address && l->type != DOMAIN_GRAPHICS_LISTEN_ADDRESS)
                return xml_fail(c, n, "attribute 'address' needs listen type 'address'");
        if (l->network)
                return xml_fail(c, n, "attribute 'network' needs listen type 'network'");
        return 0;
}

static XML_ELEMENT(listen_element, "listen", DomainGraphicsListen, listen_values, (const XmlSub[]){},
                   listen_check);

/* The SPICE children with one attribute each: an int in DomainGraphics. */
#define SPICE_ONE(var, ename, aname, enumvar)                              \
        static const XmlValue var##_values[] = {                           \
                { aname, XML_T_ENUM, 0, XML_REQUIRED, &enumvar, 0, 0, 0 }, \
        };                                                                 \
        static XML_ELEMENT(var, ename, int, var##_values, (const XmlSub[]){}, NULL)

SPICE_ONE(image_element, "image", "compression", domain_xml_spice_image_compression);
SPICE_ONE(jpeg_element, "jpeg", "compression", domain_xml_spice_wan_compression);
SPICE_ONE(zlib_element, "zlib", "compression", domain_xml_spice_wan_compression);
SPICE_ONE(playback_element, "playback", "compression", xml_enum_on_off);
SPICE_ONE(streaming_element, "streaming", "mode", domain_xml_spice_streaming);
SPICE_ONE(mouse_element, "mouse", "mode", domain_xml_spice_mouse);
SPICE_ONE(clipboard_element, "clipboard", "copypaste", xml_enum_yes_no);
SPICE_ONE(filetransfer_element, "filetransfer", "enable", xml_enum_yes_no);

/* OpenGL needs a DRM render node opened for QEMU and a label for it. */
static int gl_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        if (((const DomainSpiceGl *) obj)->enable == DOMAIN_TRISTATE_ON)
                return xml_fail(c, n,
                                "gl enable='yes' is not supported: it needs a DRM render node, which vmunit "
                                "does not give QEMU");
        return 0;
}
static const XmlValue gl_values[] = {
        { "enable", XML_T_ENUM, offsetof(DomainSpiceGl, enable), XML_REQUIRED, &xml_enum_yes_no, 0, 0, 0 },
        { "rendernode", XML_T_PATH, offsetof(DomainSpiceGl, rendernode), 0, NULL, 0, 0, 0 },
};
static XML_ELEMENT(gl_element, "gl", DomainSpiceGl, gl_values, (const XmlSub[]){}, gl_check);

static const XmlValue channel_values[] = {
        { "name", XML_T_ENUM, offsetof(DomainSpiceChannel, name), XML_REQUIRED,
          &domain_xml_spice_channel_name, 0, 0, 0 },
        { "mode", XML_T_ENUM, offsetof(DomainSpiceChannel, mode), XML_REQUIRED, &channel_modes, 0, 0, 0 },
};

/* secure needs TLS, which needs certificates vmunit does not manage. */
static int channel_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        if (((const DomainSpiceChannel *) obj)->mode == 2)
                return xml_fail(c, n, "channel mode 'secure' is not supported: SPICE TLS is not configured");
        return 0;
}
static XML_ELEMENT(channel_element, "channel", DomainSpiceChannel, channel_values, (const XmlSub[]){},
                   channel_check);

static const XmlValue graphics_values[] = {
        { "type", XML_T_ENUM, offsetof(DomainGraphics, type), XML_REQUIRED, &domain_xml_graphics_type, 0, 0,
          0 },
        { "port", XML_T_STRING, offsetof(DomainGraphics, port_attr), 0, NULL, 0, 0, 0 },
        { "tlsPort", XML_T_STRING, offsetof(DomainGraphics, tls_port_attr), 0, NULL, 0, 0, 0 },
        { "autoport", XML_T_ENUM, offsetof(DomainGraphics, autoport_attr), 0, &xml_enum_yes_no, 0, 0, 0 },
        { "listen", XML_T_STRING, offsetof(DomainGraphics, listen), 0, NULL, 0, 0, 0 },
        { "keymap", XML_T_STRING, offsetof(DomainGraphics, keymap), 0, NULL, 0, 0, 0 },
        { "sharePolicy", XML_T_ENUM, offsetof(DomainGraphics, share_policy), 0, &share_policies, 0, 0, 0 },
        { "passwd", XML_T_STRING, offsetof(DomainGraphics, passwd), 0, NULL, 0, 0, 0 },
        { "passwdValidTo", XML_T_STRING, offsetof(DomainGraphics, passwd_valid_to), 0, NULL, 0, 0, 0 },
        { "connected", XML_T_ENUM, offsetof(DomainGraphics, connected), 0, &connected_values, 0, 0, 0 },
        /* type='sdl' only (an X display, its authority file, full screen):
         * read so that an SDL domain gets the SDL refusal. */
        { "display", XML_T_STRING, offsetof(DomainGraphics, sdl_display), 0, NULL, 0, 0, 0 },
        { "xauth", XML_T_STRING, offsetof(DomainGraphics, sdl_xauth), 0, NULL, 0, 0, 0 },
        { "fullscreen", XML_T_ENUM, offsetof(DomainGraphics, sdl_fullscreen), 0, &xml_enum_yes_no, 0, 0, 0 },
};

#define SPICE_SUB(el, field) XML_INLINE(el, DomainGraphics, field)

static const XmlSub graphics_subs[] = {
        XML_INLINE(listen_element, DomainGraphics, listen_el),
        XML_ARRAY(channel_element, DomainGraphics, channels, n_channels),
        SPICE_SUB(image_element, image_compression),
        SPICE_SUB(jpeg_element, jpeg_compression),
        SPICE_SUB(zlib_element, zlib_compression),
        SPICE_SUB(playback_element, playback_compression),
        SPICE_SUB(streaming_element, streaming_mode),
        SPICE_SUB(mouse_element, mouse_mode),
        SPICE_SUB(clipboard_element, copypaste),
        SPICE_SUB(filetransfer_element, filetransfer),
        SPICE_SUB(gl_element, gl),
};

/* port='-1' is libvirt's spelling of "pick one". */
static int resolve_port(XmlCtx *c, xmlNode *n, DomainGraphics *g) {
        unsigned port;
        int r;

        g->port = -1;
        if (!g->port_attr || streq(g->port_attr, "-1"))
                return 0;
        r = xml_attr_unsigned(c, n, "port", g->type == DOMAIN_GRAPHICS_VNC ? VNC_PORT_MIN : 1, 65535, true,
                              &port);
        if (r > 0)
                g->port = (int) port;
        return r;
}

/* The listen attribute and <listen type='address'> say the same thing;
 * both are written back. */
static int resolve_listen(XmlCtx *c, xmlNode *n, DomainGraphics *g) {
        DomainGraphicsListen *l = &g->listen_el;

        if (l->type == DOMAIN_GRAPHICS_LISTEN_ADDRESS && l->address) {
                if (g->listen && !streq(g->listen, l->address))
                        return xml_fail(
                                c, n,
                                "listen address '%s' does not match the graphics listen attribute '%s'",
                                l->address, g->listen);
                if (!g->listen && !(g->listen = strdup(l->address)))
                        return -ENOMEM;
        } else if (g->listen) {
                if (l->type != DOMAIN_GRAPHICS_LISTEN_ABSENT && l->type != DOMAIN_GRAPHICS_LISTEN_ADDRESS)
                        return xml_fail(c, n, "a listen address cannot be combined with a %s listen",
                                        l->type == DOMAIN_GRAPHICS_LISTEN_SOCKET ? "socket" : "'none'");
                l->type = DOMAIN_GRAPHICS_LISTEN_ADDRESS;
                if (!(l->address = strdup(g->listen)))
                        return -ENOMEM;
        }
        g->socket = l->socket;
        return 0;
}

static bool spice_children(const DomainGraphics *g) {
        return g->image_compression || g->jpeg_compression || g->zlib_compression ||
               g->playback_compression || g->streaming_mode || g->mouse_mode || g->copypaste ||
               g->filetransfer || g->gl.enable || g->n_channels > 0;
}

/* type='none': a display device the guest sees, and no way for anyone
 * to see it. */
static int check_none(XmlCtx *c, xmlNode *n, const DomainGraphics *g) {
        if (g->port_attr || g->tls_port_attr || g->autoport_attr || g->listen || g->keymap || g->passwd ||
            g->share_policy || g->connected || g->listen_el.type || spice_children(g))
                return xml_fail(c, n, "graphics type 'none' takes no options");
        return 0;
}

static int check_type_specific(XmlCtx *c, xmlNode *n, DomainGraphics *g) {
        if (g->type == DOMAIN_GRAPHICS_SDL)
                return xml_fail(c, n,
                                "graphics type 'sdl' is not supported: a VM run as a system service has no "
                                "desktop session to open a window in; use vnc or spice");
        if (g->sdl_display || g->sdl_xauth || g->sdl_fullscreen)
                return xml_fail(c, n, "display, xauth and fullscreen are options of type='sdl'");
        if (g->type == DOMAIN_GRAPHICS_VNC) {
                if (spice_children(g))
                        return xml_fail(c, n,
                                        "SPICE options (image, jpeg, zlib, playback, streaming, mouse, "
                                        "clipboard, filetransfer, gl, channel) need type='spice'");
                if (g->tls_port_attr)
                        return xml_fail(c, n, "attribute 'tlsPort' needs type='spice'");
                if (g->connected && g->connected != DOMAIN_GRAPHICS_CONNECTED_KEEP)
                        return xml_fail(c, n,
                                        "VNC can only keep connected clients on a password change "
                                        "(connected='keep')");
                return 0;
        }
        if (g->share_policy)
                return xml_fail(c, n, "attribute 'sharePolicy' needs type='vnc'");
        if (g->tls_port_attr && !streq(g->tls_port_attr, "-1"))
                return xml_fail(c, n,
                                "attribute 'tlsPort' is not supported: SPICE TLS needs certificates "
                                "vmunit does not configure");
        g->tls_port = -1;
        return 0;
}

/* libvirt's passwdValidTo: UTC, "YYYY-MM-DDTHH:MM:SS". */
int domain_graphics_valid_to(const char *s, time_t *ret) {
        struct tm tm = {};
        const char *end;

        end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!end || *end)
                return -EINVAL;
        *ret = timegm(&tm);
        return 0;
}

static int check_password(XmlCtx *c, xmlNode *n, const DomainGraphics *g) {
        time_t t;

        if ((g->passwd_valid_to || g->connected) && !g->passwd)
                return xml_fail(c, n, "passwdValidTo and connected need a passwd");
        if (g->passwd_valid_to && domain_graphics_valid_to(g->passwd_valid_to, &t) < 0)
                return xml_fail(c, n, "invalid passwdValidTo '%s' (expected YYYY-MM-DDTHH:MM:SS)",
                                g->passwd_valid_to);
        if (g->keymap && (!*g->keymap || g->keymap[strspn(g->keymap, "abcdefghijklmnopqrstuvwxyz-_")]))
                return xml_fail(c, n, "invalid keymap '%s'", g->keymap);
        return 0;
}

/* What was decided is written back: port='-1' autoport='yes', or the
 * port and autoport='no'; nothing for a socket or 'none' listen. */
static int write_back_port(DomainGraphics *g, bool portless) {
        free(g->port_attr);
        g->port_attr = NULL;
        g->autoport_attr = DOMAIN_TRISTATE_ABSENT;
        if (portless)
                return 0;
        if (asprintf(&g->port_attr, "%d", g->autoport ? -1 : g->port) < 0) {
                g->port_attr = NULL;
                return -ENOMEM;
        }
        g->autoport_attr = g->autoport ? DOMAIN_TRISTATE_ON : DOMAIN_TRISTATE_OFF;
        return 0;
}

static int graphics_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        DomainGraphics *g = obj;
        bool portless;
        int r;

        if (g->type == DOMAIN_GRAPHICS_NONE)
                return check_none(c, n, g);
        r = resolve_port(c, n, g);
        if (r >= 0)
                r = resolve_listen(c, n, g);
        if (r >= 0)
                r = check_type_specific(c, n, g);
        if (r >= 0)
                r = check_password(c, n, g);
        if (r < 0)
                return r;
        portless = g->socket || g->listen_el.type == DOMAIN_GRAPHICS_LISTEN_NONE;
        if (g->autoport_attr == DOMAIN_TRISTATE_ON)
                g->port = -1;
        if (g->autoport_attr == DOMAIN_TRISTATE_OFF && g->port < 0 && !portless)
                return xml_fail(c, n, "autoport='no' requires a port");
        if (portless && g->port >= 0)
                return xml_fail(c, n, "a port cannot be combined with a %s listen",
                                g->socket ? "socket" : "'none'");
        g->autoport = g->port < 0 && !portless;
        return write_back_port(g, portless);
}

XML_ELEMENT(domain_xml_graphics, "graphics", DomainGraphics, graphics_values, graphics_subs, graphics_check);
