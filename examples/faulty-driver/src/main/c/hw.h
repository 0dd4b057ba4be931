/*
 * The little hardware access the driver needs: x86 I/O ports, memory-mapped registers of a fixed width, the
 * serial console, a coarse clock and the exit device. Everything is static inline or declared here; the three C
 * files are console.c (console, clock, exit), virtio_pci.c (the transport) and blk.c (the ring and the test).
 */
#ifndef HW_H
#define HW_H

#include <stddef.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/*
 * Register accesses of exactly the field's width: virtio 1.x §4.1.3.1 asks the driver to access each field of the
 * common configuration with its own width (a 64-bit field as two 32-bit halves), and PVKit checks that
 * [DRV-PCI-005]. volatile keeps the compiler from merging, splitting or dropping them.
 */
static inline uint8_t mmio_read8(uintptr_t a) { return *(volatile uint8_t *)a; }
static inline uint16_t mmio_read16(uintptr_t a) { return *(volatile uint16_t *)a; }
static inline uint32_t mmio_read32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_write8(uintptr_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void mmio_write16(uintptr_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static inline void mmio_write32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

/* The compiler must not move ring accesses across this; x86 keeps stores in order and loads in order by itself. */
static inline void compiler_barrier(void) { __asm__ volatile("" : : : "memory"); }
/* A full fence: the ring's stores are visible to the device before the notification that follows (§2.7.13.3.1). */
static inline void full_barrier(void) { __asm__ volatile("mfence" : : : "memory"); }

/* console.c */
void console_init(void);
void print(const char *s);
void print_hex(uint32_t v);
void print_dec(uint32_t v);
/* A clock good enough for a time-out: the real-time clock's seconds counter, which ticks under TCG too. */
uint8_t rtc_seconds(void);
/* Ends QEMU through isa-debug-exit: 0 is success, 1..63 a failure of the driver's own check. Does not return. */
void qemu_exit(uint8_t code) __attribute__((noreturn));

/* The driver's own failure codes, reported through the exit device (PVKit: "it wrote code N to the exit device"). */
enum exit_code {
    EXIT_OK = 0,
    EXIT_NO_DEVICE = 2,
    EXIT_BAD_TRANSPORT = 3,   /* a capability or BAR the driver cannot use */
    EXIT_FEATURES_REFUSED = 4,/* FEATURES_OK did not stick */
    EXIT_NO_QUEUE = 5,
    EXIT_TIMEOUT = 6,         /* the device did not use a request within the time-out */
    EXIT_IO_ERROR = 7,        /* a request came back with a status other than OK */
    EXIT_DATA_MISMATCH = 8,   /* what was read back is not what was written */
    EXIT_DISK_TOO_SMALL = 9,
};

void *memset(void *d, int c, size_t n);

#endif
