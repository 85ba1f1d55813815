/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmunit test guest: a multiboot (v1) kernel that QEMU loads with -kernel and
 * that boots in milliseconds under KVM and TCG. It talks on COM1 and does one
 * thing chosen by `mode=` on its command line (-append): acpi (default),
 * ignore-acpi, reboot, crash, poweroff. The word `ticks` adds a
 * `tick N` line every second; `pci` watches PCI bus 0 for hotplugged
 * devices and ejects the ones QEMU asks to remove (`pci-keep`: never). It idles with hlt on a 100 Hz PIT interrupt so
 * that a waiting guest costs the host almost no CPU.
 *
 * The ACPI ports come from the FADT the firmware built (SeaBIOS and qboot put
 * PM1 at 0x600 on both pc and q35, but the SMI enable value differs: 0xf1 on
 * piix4, 0x02 on ich9). Sleep type 0 is QEMU's \_S5. Without ACPI in the
 * domain there is no FADT, and the acpi and poweroff modes say so and idle.
 */
#include <stdint.h>

#define MARK "VMUNIT-TEST-GUEST: "
#define COM1 0x3f8
#define HZ 100
#define PWRBTN (1u << 8)
#define SCI_EN 1u
#define SLP_EN (1u << 13)
#define SLP_TYP_MASK (7u << 10)

__asm__(".section .multiboot, \"a\"\n"
        ".align 4\n"
        ".long 0x1badb002, 0, -0x1badb002\n" /* magic, flags, checksum */
        ".section .bss\n"
        ".align 16\n"
        "stack: .skip 16384\n"
        "stack_top:\n"
        ".section .rodata\n"
        ".align 8\n"
        "gdt: .quad 0, 0x00cf9a000000ffff, 0x00cf92000000ffff\n"
        "gdt_desc: .word 23\n .long gdt\n"
        ".text\n"
        ".globl _start\n"
        "_start:\n" /* eax = multiboot magic, ebx = info; the stack is in .bss */
        "  cli\n  mov %eax, %esi\n  mov $__bss_start, %edi\n  mov $__bss_end, %ecx\n"
        "  sub %edi, %ecx\n  xor %eax, %eax\n  rep stosb\n"
        "  mov $stack_top, %esp\n  push %ebx\n  push %esi\n"
        /* Multiboot leaves the GDT undefined; interrupt gates need a known CS. */
        "  lgdt gdt_desc\n  ljmp $0x08, $1f\n"
        "1: mov $0x10, %cx\n  mov %cx, %ds\n  mov %cx, %es\n  mov %cx, %ss\n"
        "  mov %cx, %fs\n  mov %cx, %gs\n  call guest_main\n"
        "2: cli\n  hlt\n  jmp 2b\n"
        /*
         * Interrupts are enabled only inside wait_irq's "sti; hlt", so a
         * handler always knows where it came from: it drops the interrupt
         * frame and jumps back to wait_irq's ret with IF still clear. No
         * iret: the KVM on these hosts (kvm_pvm) emulates 32-bit code with
         * KVM's instruction emulator, which cannot do a protected-mode iret.
         */
        ".globl wait_irq\n"
        "wait_irq: sti\n  hlt\n"
        "wait_irq_done: ret\n"
        "irq_timer: push %eax\n  incl pit_ticks\n  mov $0x20, %al\n  out %al, $0x20\n"
        "  pop %eax\n  add $12, %esp\n  jmp wait_irq_done\n"
        "irq_other: push %eax\n  mov $0x20, %al\n  out %al, $0xa0\n  out %al, $0x20\n"
        "  pop %eax\n  add $12, %esp\n  jmp wait_irq_done\n");

void guest_main(uint32_t magic, const uint32_t *mbi);
void irq_timer(void);
void irq_other(void);
void wait_irq(void);
volatile uint32_t pit_ticks;

struct acpi_ports {
        uint32_t smi_cmd, evt, cnt;
        uint8_t enable;
};

static struct {
        uint16_t off_lo, sel;
        uint8_t zero, type;
        uint16_t off_hi;
} __attribute__((packed)) idt[48];

static inline void outb(uint16_t port, uint8_t v) {
        __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v) {
        __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port) {
        uint8_t v;
        __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
        return v;
}
static inline uint16_t inw(uint16_t port) {
        uint16_t v;
        __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
        return v;
}
static inline void outl(uint16_t port, uint32_t v) {
        __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint32_t inl(uint16_t port) {
        uint32_t v;
        __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
        return v;
}
static inline uint32_t rd32(const volatile uint8_t *p) {
        return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t) p[3] << 24;
}

static void halt_forever(void) {
        for (;;)
                __asm__ volatile("cli; hlt");
}

static void serial_init(void) {
        outb(COM1 + 1, 0x00); /* no UART interrupts: we poll LSR */
        outb(COM1 + 3, 0x80); /* DLAB on to set the divisor */
        outb(COM1 + 0, 0x01); /* 115200 baud */
        outb(COM1 + 1, 0x00);
        outb(COM1 + 3, 0x03); /* 8N1, DLAB off */
        outb(COM1 + 2, 0xc7); /* FIFOs on and cleared */
        outb(COM1 + 4, 0x03); /* DTR, RTS */
}

static void put(const char *s) {
        for (; *s; s++) {
                while (!(inb(COM1 + 5) & 0x20))
                        ;
                outb(COM1, (uint8_t) *s);
        }
}

static void put_u32(uint32_t n) {
        char buf[11], *p = buf + sizeof(buf) - 1;
        *p = 0;
        do
                *--p = (char) ('0' + n % 10);
        while (n /= 10);
        put(p);
}

static int word_is(const char *p, const char *w) {
        while (*w && *p == *w)
                p++, w++;
        return !*w && (*p == ' ' || !*p);
}

/* The value of `key` (e.g. "mode=") in a space-separated line, or NULL. */
static const char *word_find(const char *cmd, const char *key) {
        for (const char *p = cmd; p && *p; p++) {
                if (p != cmd && p[-1] != ' ')
                        continue;
                const char *k = key, *q = p;
                while (*k && *q == *k)
                        q++, k++;
                if (!*k)
                        return q;
        }
        return 0;
}

static int mem_is(const volatile uint8_t *p, const char *s, int n) {
        for (int i = 0; i < n; i++)
                if (p[i] != (uint8_t) s[i])
                        return 0;
        return 1;
}

static const volatile uint8_t *find_fadt(void) {
        for (uint32_t a = 0xe0000; a < 0x100000; a += 16) {
                const volatile uint8_t *rsdp = (const volatile uint8_t *) a;
                if (!mem_is(rsdp, "RSD PTR ", 8))
                        continue;
                const volatile uint8_t *rsdt = (const volatile uint8_t *) rd32(rsdp + 16);
                for (uint32_t off = 36; off + 4 <= rd32(rsdt + 4); off += 4) {
                        const volatile uint8_t *t = (const volatile uint8_t *) rd32(rsdt + off);
                        if (mem_is(t, "FACP", 4))
                                return t;
                }
        }
        return 0;
}

/*
 * Returns 0 without ACPI (<features><acpi/> absent: QEMU then has no PM
 * device and its ports read as all ones, which must not pass for a press).
 */
static int acpi_init(struct acpi_ports *a) {
        const volatile uint8_t *fadt = find_fadt();
        if (!fadt)
                return 0;
        *a = (struct acpi_ports){ .smi_cmd = rd32(fadt + 48),
                                  .enable = fadt[52],
                                  .evt = rd32(fadt + 56),
                                  .cnt = rd32(fadt + 64) };
        /* SeaBIOS leaves the machine in legacy mode; ask the chipset for ACPI mode. */
        if (!(inw(a->cnt) & SCI_EN) && a->smi_cmd && a->enable) {
                outb(a->smi_cmd, a->enable);
                for (int i = 0; i < 100000 && !(inw(a->cnt) & SCI_EN); i++)
                        ;
        }
        return 1;
}

static void acpi_poweroff(const struct acpi_ports *a) {
        outw(a->cnt, (inw(a->cnt) & ~SLP_TYP_MASK) | SLP_EN);
        halt_forever();
}

/*
 * PCI hotplug watch: bus 0's vendor/device IDs through configuration
 * mechanism #1, compared with the last scan at every tick. On pc
 * (PIIX4), QEMU's ACPI PCI hotplug asks for a removal by setting the
 * slot's bit in PCI_DOWN (0xae04, bus selected at 0xae10) and finishes
 * device_del only when the guest writes that bit to PCI_EJ (0xae08), as
 * the _EJ0 method of its ACPI tables would. Without that device the
 * ports read as all ones and are left alone.
 */
#define PCIHP_DOWN 0xae04
#define PCIHP_EJECT 0xae08
#define PCIHP_SEL 0xae10

static uint32_t pci_id(unsigned slot) {
        outl(0xcf8, 0x80000000u | slot << 11);
        return inl(0xcfc);
}

static void put_hex(uint32_t v, int digits) {
        while (digits-- > 0)
                put((const char[]){ "0123456789abcdef"[(v >> (4 * digits)) & 15], 0 });
}

static void pci_report(const char *what, unsigned slot, uint32_t id) {
        put(MARK "pci ");
        put(what);
        put(" 00:");
        put_hex(slot, 2);
        put(".0 ");
        put_hex(id & 0xffff, 4);
        put(":");
        put_hex(id >> 16, 4);
        put("\n");
}

static uint32_t pci_seen[32];

static void pci_scan(int report) {
        for (unsigned slot = 0; slot < 32; slot++) {
                uint32_t id = pci_id(slot);
                if (id == pci_seen[slot])
                        continue;
                if (report && (pci_seen[slot] & 0xffff) != 0xffff)
                        pci_report("del", slot, pci_seen[slot]);
                if (report && (id & 0xffff) != 0xffff)
                        pci_report("add", slot, id);
                pci_seen[slot] = id;
        }
}

static void pci_eject_requested(void) {
        outl(PCIHP_SEL, 0);
        uint32_t down = inl(PCIHP_DOWN);
        if (down == 0xffffffffu || !down)
                return;
        put(MARK "pci eject ");
        put_hex(down, 8);
        put("\n");
        outl(PCIHP_EJECT, down);
}

/* Remap the PICs to vectors 0x20-0x2f, unmask only IRQ0 and run the PIT at HZ. */
static void timer_init(void) {
        struct {
                uint16_t limit;
                uint32_t base;
        } __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint32_t) idt };
        for (int v = 32; v < 48; v++) {
                uint32_t h = (uint32_t) (v == 32 ? irq_timer : irq_other);
                idt[v].off_lo = h & 0xffff, idt[v].off_hi = h >> 16, idt[v].sel = 0x08, idt[v].type = 0x8e;
        }
        __asm__ volatile("lidt %0" : : "m"(idtr));
        static const uint8_t pic[][2] = { { 0x20, 0x11 }, { 0xa0, 0x11 }, { 0x21, 0x20 }, { 0xa1, 0x28 },
                                          { 0x21, 4 },    { 0xa1, 2 },    { 0x21, 1 },    { 0xa1, 1 },
                                          { 0x21, 0xfe }, { 0xa1, 0xff } };
        for (unsigned i = 0; i < sizeof(pic) / sizeof(pic[0]); i++)
                outb(pic[i][0], pic[i][1]);
        /*
         * SeaBIOS routes the PIC through the local APIC's LINT0 as ExtINT;
         * qboot (-bios qboot.rom, much faster to boot under KVM here) does
         * not, and the tick would never arrive. KVM keeps LVT entries masked
         * while the APIC is software-disabled, so enable it first (spurious
         * vector 0x2f, which has a handler).
         */
        *(volatile uint32_t *) 0xfee000f0 = 0x12f;
        *(volatile uint32_t *) 0xfee00350 = 0x700;
        outb(0x43, 0x34);
        outb(0x40, (1193182 / HZ) & 0xff);
        outb(0x40, (1193182 / HZ) >> 8);
}

/* pci: 0 off, 1 watch and eject, 2 watch only */
static void idle(const struct acpi_ports *a, int watch_button, int ticks, int pci) {
        if (pci) {
                pci_scan(0);
                put(MARK "pci watching\n");
        }
        for (uint32_t next = HZ, n = 1;;) {
                wait_irq();
                if (pci == 1)
                        pci_eject_requested();
                if (pci)
                        pci_scan(1);
                if (watch_button && (inw(a->evt) & PWRBTN)) {
                        outw(a->evt, PWRBTN); /* write-one-to-clear */
                        put(MARK "power button, powering off\n");
                        acpi_poweroff(a);
                }
                if (ticks && pit_ticks >= next) {
                        next += HZ;
                        put(MARK "tick ");
                        put_u32(n++);
                        put("\n");
                }
        }
}

void guest_main(uint32_t magic, const uint32_t *mbi) {
        const char *cmd = magic == 0x2badb002 && (mbi[0] & (1u << 2)) ? (const char *) mbi[4] : "";
        const char *mode = word_find(cmd, "mode=");
        struct acpi_ports a;

        serial_init();
        put(MARK "booted mode=");
        if (!mode)
                mode = "acpi";
        for (const char *p = mode; *p && *p != ' '; p++)
                put((const char[]){ *p, 0 });
        put("\n");
        int has_acpi = acpi_init(&a);
        timer_init();
        const char *t = word_find(cmd, "ticks");
        int ticks = t && (*t == ' ' || !*t);
        const char *pw = word_find(cmd, "pci");
        int pci = !pw ? 0 : (*pw == ' ' || !*pw) ? 1 : word_is(pw, "-keep") ? 2 : 0;

        if (word_is(mode, "acpi")) {
                if (has_acpi) {
                        outw(a.evt, PWRBTN);     /* clear a stale press */
                        outw(a.evt + 2, PWRBTN); /* PM1_EN sits after PM1_STS */
                }
                put(MARK "waiting for ACPI power button\n");
                if (!has_acpi)
                        put(MARK "no ACPI tables: the button cannot arrive\n");
                idle(&a, has_acpi, ticks, pci);
        } else if (word_is(mode, "ignore-acpi")) {
                idle(&a, 0, 1, pci);
        } else if (word_is(mode, "reboot")) {
                outb(0xcf9, 0x06); /* reset control register: hard reset */
        } else if (word_is(mode, "crash")) {
                outb(0x505, 1); /* pvpanic: PANICKED */
        } else if (word_is(mode, "poweroff")) {
                if (has_acpi)
                        acpi_poweroff(&a);
                put(MARK "no ACPI tables: cannot power off, halting\n");
        } else {
                put(MARK "unknown mode, halting\n");
        }
        halt_forever();
}
