/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qemu-argv-internal.h"

/* ---- <audio>: -audiodev ------------------------------------------------- */

/* A sound device without an <audio> gets libvirt's implicit one, id 1:
 * spice with a SPICE display, else none. */
static bool implicit_audio(const Domain *d) {
        return d->n_audios == 0 && d->n_sounds > 0;
}

/* An <audio> without type (older libvirt's "default") is treated as the
 * implicit one would be. */
static const char *audio_driver(const Domain *d, DomainAudioType t) {
        if (t == DOMAIN_AUDIO_SPICE || (t == 0 && qemu_argv_has_spice(d)))
                return "spice";
        return "none";
}

unsigned qemu_argv_audio_id(const Domain *d, unsigned wanted) {
        if (wanted > 0)
                return wanted;
        if (d->n_audios > 0)
                return d->audios[0].id;
        return d->n_sounds > 0 ? 1 : 0;
}

int qemu_argv_build_audio(QemuArgvBuilder *b) {
        const Domain *d = b->d;
        int r;

        if (implicit_audio(d))
                return qemu_argv_add(b, "-audiodev", "%s,id=audio1", audio_driver(d, 0));
        for (size_t i = 0; i < d->n_audios; i++) {
                const DomainAudio *a = &d->audios[i];

                if (a->type == DOMAIN_AUDIO_SPICE && !qemu_argv_has_spice(d))
                        return qemu_argv_fail(b, "audio type 'spice' needs SPICE graphics");
                r = qemu_argv_add(b, "-audiodev", "%s,id=audio%u", audio_driver(d, a->type), a->id);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- <sound> ------------------------------------------------------------ */

bool qemu_argv_sound_is_pci(DomainSoundModel m) {
        return m == DOMAIN_SOUND_ICH6 || m == DOMAIN_SOUND_ICH9 || m == DOMAIN_SOUND_AC97 ||
               m == DOMAIN_SOUND_ES1370;
}

static int check_audio_ref(QemuArgvBuilder *b, unsigned id) {
        const Domain *d = b->d;

        if (implicit_audio(d))
                return 0;
        for (size_t i = 0; i < d->n_audios; i++)
                if (d->audios[i].id == id)
                        return 0;
        return qemu_argv_fail(b, "sound device refers to audio id %u, which the domain has not", id);
}

/* HD Audio: the controller, then its codecs on its bus (libvirt's
 * default codec is duplex). */
static int build_hda(QemuArgvBuilder *b, size_t i, const DomainSound *s, unsigned audio) {
        static const char *const codecs[] = {
                [DOMAIN_SOUND_CODEC_DUPLEX] = "hda-duplex",
                [DOMAIN_SOUND_CODEC_MICRO] = "hda-micro",
                [DOMAIN_SOUND_CODEC_OUTPUT] = "hda-output",
        };
        size_t n = s->n_codecs ?: 1;
        int r;

        r = qemu_argv_add_device(b, QEMU_PCI_SOUND, i, "%s,id=sound%zu",
                                 s->model == DOMAIN_SOUND_ICH9 ? "ich9-intel-hda" : "intel-hda", i);
        for (size_t c = 0; r >= 0 && c < n; c++)
                r = qemu_argv_add(
                        b, "-device", "%s,id=sound%zu-codec%zu,bus=sound%zu.0,cad=%zu,audiodev=audio%u",
                        codecs[s->n_codecs ? s->codecs[c] : DOMAIN_SOUND_CODEC_DUPLEX], i, c, i, c, audio);
        return r;
}

static int build_one(QemuArgvBuilder *b, size_t i, const DomainSound *s) {
        unsigned audio = qemu_argv_audio_id(b->d, s->audio_id);
        int r;

        r = check_audio_ref(b, audio);
        if (r < 0)
                return r;
        switch (s->model) {
        case DOMAIN_SOUND_ICH6:
        case DOMAIN_SOUND_ICH9: return build_hda(b, i, s, audio);
        case DOMAIN_SOUND_AC97:
                return qemu_argv_add_device(b, QEMU_PCI_SOUND, i, "AC97,id=sound%zu,audiodev=audio%u", i,
                                            audio);
        case DOMAIN_SOUND_ES1370:
                return qemu_argv_add_device(b, QEMU_PCI_SOUND, i, "ES1370,id=sound%zu,audiodev=audio%u", i,
                                            audio);
        case DOMAIN_SOUND_SB16:
                return qemu_argv_add(b, "-device", "sb16,id=sound%zu,audiodev=audio%u", i, audio);
        case DOMAIN_SOUND_USB:
                return qemu_argv_add(b, "-device", "usb-audio,id=sound%zu,bus=usb.0,audiodev=audio%u", i,
                                     audio);
        case DOMAIN_SOUND_PCSPK:
                /* The PC speaker is part of the machine: it only gets its backend. */
                return qemu_argv_add(b, "-machine", "pcspk-audiodev=audio%u", audio);
        default: return qemu_argv_fail(b, "unsupported sound model");
        }
}

int qemu_argv_build_sounds(QemuArgvBuilder *b) {
        int r;

        for (size_t i = 0; i < b->d->n_sounds; i++) {
                r = build_one(b, i, &b->d->sounds[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}
