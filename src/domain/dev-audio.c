/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/* <audio id type>: the host side of the guest's sound (-audiodev). */

enum { AUDIO_PULSEAUDIO = 100, AUDIO_PIPEWIRE, AUDIO_ALSA, AUDIO_OSS, AUDIO_SDL, AUDIO_JACK, AUDIO_FILE };

XML_ENUM_DEFINE(domain_xml_audio_type, { "none", DOMAIN_AUDIO_NONE }, { "spice", DOMAIN_AUDIO_SPICE },
                { "pulseaudio", AUDIO_PULSEAUDIO }, { "pipewire", AUDIO_PIPEWIRE }, { "alsa", AUDIO_ALSA },
                { "oss", AUDIO_OSS }, { "sdl", AUDIO_SDL }, { "jack", AUDIO_JACK }, { "file", AUDIO_FILE });

static const XmlValue audio_values[] = {
        { "id", XML_T_UINT, offsetof(DomainAudio, id), XML_REQUIRED, NULL, 1, INT32_MAX, 0 },
        { "type", XML_T_ENUM, offsetof(DomainAudio, type), 0, &domain_xml_audio_type, 0, 0, 0 },
};

/* A system service has no user's sound server or sound card session to
 * reach, and a WAV file would be one more file to label and manage. */
static int audio_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainAudio *a = obj;
        const Domain *d = parent;

        if ((int) a->type >= AUDIO_PULSEAUDIO && (int) a->type != AUDIO_FILE)
                return xml_fail(c, n,
                                "audio type '%s' is not supported: a VM run as a system service has no "
                                "user's sound server or sound device; use 'spice' or 'none'",
                                xml_enum_to_string(&domain_xml_audio_type, a->type));
        if ((int) a->type == AUDIO_FILE)
                return xml_fail(c, n, "audio type 'file' is not supported: use 'spice' or 'none'");
        for (const DomainAudio *o = d->audios; o < a; o++)
                if (o->id == a->id)
                        return xml_fail(c, n, "duplicate audio id %u", a->id);
        return 0;
}

XML_ELEMENT(domain_xml_audio, "audio", DomainAudio, audio_values, (const XmlSub[]){}, audio_check);
