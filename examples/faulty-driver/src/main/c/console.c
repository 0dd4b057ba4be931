/* The serial console on COM1, a seconds clock from the CMOS real-time clock, and the way out through the exit device. */
#include "hw.h"

#define COM1 0x3F8
#define EXIT_PORT 0xF4       /* QEMU's isa-debug-exit, as PVKit's QEMU command line places it */

void console_init(void) {
    outb(COM1 + 1, 0x00);    /* no UART interrupts: the kernel runs with interrupts off */
    outb(COM1 + 3, 0x80);    /* DLAB on, to set the divisor */
    outb(COM1 + 0, 0x01);    /* 115200 baud (QEMU ignores it; real UARTs do not) */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);    /* 8 data bits, no parity, 1 stop bit, DLAB off */
}

static void put(char c) {
    while ((inb(COM1 + 5) & 0x20) == 0) {
        /* wait until the transmit holding register is empty */
    }
    outb(COM1, (uint8_t)c);
}

void print(const char *s) {
    for (; *s; s++) {
        if (*s == '\n') put('\r');
        put(*s);
    }
}

void print_hex(uint32_t v) {
    static const char digits[] = "0123456789abcdef";
    char buf[11] = "0x";
    for (int i = 0; i < 8; i++) buf[2 + i] = digits[(v >> (28 - 4 * i)) & 0xF];
    buf[10] = 0;
    print(buf);
}

void print_dec(uint32_t v) {
    char buf[11];
    int i = 10;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    print(&buf[i]);
}

uint8_t rtc_seconds(void) {
    outb(0x70, 0x00);        /* CMOS register 0: seconds; any change of the value is a second gone by */
    return inb(0x71);
}

void qemu_exit(uint8_t code) {
    /* QEMU exits with status (code << 1) | 1; PVKit reads 0 as "the guest's own check passed". */
    outb(EXIT_PORT, code);
    for (;;) __asm__ volatile("cli; hlt");   /* no exit device: stop here; PVKit's time limit ends the run */
}

/* gcc may emit calls to memset for large zeroing even when freestanding; this is the one it gets. */
void *memset(void *d, int c, size_t n) {
    uint8_t *p = d;
    while (n--) *p++ = (uint8_t)c;
    return d;
}
