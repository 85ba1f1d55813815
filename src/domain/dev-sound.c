/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "domain-xml-internal.h"

/* <sound model><codec type/><audio id/></sound>: a guest sound card. */

XML_ENUM_DEFINE(domain_xml_sound_model, { "ich6", DOMAIN_SOUND_ICH6 }, { "ich9", DOMAIN_SOUND_ICH9 },
                { "ac97", DOMAIN_SOUND_AC97 }, { "es1370", DOMAIN_SOUND_ES1370 },
                { "sb16", DOMAIN_SOUND_SB16 }, { "usb", DOMAIN_SOUND_USB }, { "pcspk", DOMAIN_SOUND_PCSPK },
                { "ich7", DOMAIN_SOUND_ICH7 });

XML_ENUM_DEFINE(domain_xml_sound_codec, { "duplex", DOMAIN_SOUND_CODEC_DUPLEX },
                { "micro", DOMAIN_SOUND_CODEC_MICRO }, { "output", DOMAIN_SOUND_CODEC_OUTPUT });

static const XmlValue codec_values[] = {
        { "type", XML_T_ENUM, 0, XML_REQUIRED, &domain_xml_sound_codec, 0, 0, 0 },
};
static XML_ELEMENT(codec_element, "codec", DomainSoundCodec, codec_values, (const XmlSub[]){}, NULL);

static const XmlValue audio_ref_values[] = {
        { "id", XML_T_UINT, 0, XML_REQUIRED, NULL, 1, INT32_MAX, 0 },
};
static XML_ELEMENT(audio_ref_element, "audio", unsigned, audio_ref_values, (const XmlSub[]){}, NULL);

static const XmlValue sound_values[] = {
        { "model", XML_T_ENUM, offsetof(DomainSound, model), XML_REQUIRED, &domain_xml_sound_model, 0, 0,
          0 },
};

static const XmlSub sound_subs[] = {
        XML_ARRAY(codec_element, DomainSound, codecs, n_codecs),
        XML_INLINE(audio_ref_element, DomainSound, audio_id),
        DOMAIN_XML_INFO_SUBS(DomainSound),
};

static bool is_hda(DomainSoundModel m) {
        return m == DOMAIN_SOUND_ICH6 || m == DOMAIN_SOUND_ICH9 || m == DOMAIN_SOUND_ICH7;
}

static int sound_check(XmlCtx *c, xmlNode *n, void *obj, void *parent) {
        const DomainSound *s = obj;
        const Domain *d = parent;

        if (s->model == DOMAIN_SOUND_ICH7)
                return xml_fail(c, n,
                                "sound model 'ich7' is not supported: QEMU has no ICH7 HD Audio controller");
        if (s->n_codecs > 0 && !is_hda(s->model))
                return xml_fail(c, n, "<codec> needs an HD Audio model (ich6, ich9)");
        if ((s->model == DOMAIN_SOUND_PCSPK || s->model == DOMAIN_SOUND_SB16) && s->info.address)
                return xml_fail(c, n, "sound model '%s' is an ISA device and has no address",
                                xml_enum_to_string(&domain_xml_sound_model, s->model));
        if (s->model == DOMAIN_SOUND_PCSPK)
                for (const DomainSound *o = d->sounds; o < s; o++)
                        if (o->model == DOMAIN_SOUND_PCSPK)
                                return xml_fail(c, n, "a second pcspk sound device");
        return 0;
}

XML_ELEMENT(domain_xml_sound, "sound", DomainSound, sound_values, sound_subs, sound_check);
