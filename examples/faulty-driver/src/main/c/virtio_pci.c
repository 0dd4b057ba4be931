/*
 * The virtio-pci transport of a modern device (virtio 1.x §4.1): finding the device on PCI bus 0, its vendor
 * capabilities and BARs, and the device initialization of §3.1.1 through the common configuration.
 *
 * Faults this file can be built with (make FAULT=...; README.md explains each):
 *   no-readback        does not read device_status back after FEATURES_OK            [DRV-INIT-008]
 *   unoffered-feature  accepts the features it wants without masking them by the offer [DRV-FEAT-001]
 *   notify-early       notifies queue 0 before DRIVER_OK                              [DRV-INIT-014]
 */
#include "hw.h"
#include "virtio.h"

/* PCI configuration mechanism #1: address to 0xCF8, data through 0xCFC..0xCFF. */
#define PCI_ADDR 0xCF8
#define PCI_DATA 0xCFC

static uint32_t cfg_addr(int bus, int dev, int fn, int off) {
    return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)dev << 11 | (uint32_t)fn << 8 | (uint32_t)(off & 0xFC);
}
static uint32_t pci_read32(int bus, int dev, int fn, int off) {
    outl(PCI_ADDR, cfg_addr(bus, dev, fn, off));
    return inl(PCI_DATA);
}
static uint16_t pci_read16(int bus, int dev, int fn, int off) {
    outl(PCI_ADDR, cfg_addr(bus, dev, fn, off));
    return inw(PCI_DATA + (off & 2));
}
static uint8_t pci_read8(int bus, int dev, int fn, int off) {
    outl(PCI_ADDR, cfg_addr(bus, dev, fn, off));
    return inb(PCI_DATA + (off & 3));
}
static void pci_write16(int bus, int dev, int fn, int off, uint16_t v) {
    outl(PCI_ADDR, cfg_addr(bus, dev, fn, off));
    outw(PCI_DATA + (off & 2), v);
}

#define VIRTIO_VENDOR 0x1AF4
#define VIRTIO_BLK_MODERN 0x1042       /* §4.1.2: 0x1040 + device type 2 */
#define VIRTIO_BLK_TRANSITIONAL 0x1001 /* §4.1.2.1: a transitional block device; it has the modern interface too */
#define PCI_CAP_VENDOR 0x09
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4

/* The address a BAR decodes, or 0 when the driver cannot reach it (an I/O BAR, a 64-bit BAR above 4 GiB). */
static uintptr_t bar_address(int bus, int dev, int fn, int bar) {
    uint32_t lo = pci_read32(bus, dev, fn, 0x10 + 4 * bar);
    if (lo & 1) return 0;                                   /* I/O space: the capabilities live in memory here */
    if (((lo >> 1) & 3) == 2 && pci_read32(bus, dev, fn, 0x14 + 4 * bar) != 0) {
        print("virtio-blk: BAR above 4 GiB, out of reach without paging\n");
        return 0;
    }
    return lo & ~0xFu;
}

void virtio_pci_find(struct virtio_dev *d) {
    memset(d, 0, sizeof *d);
    for (int dev = 0; dev < 32; dev++) {
        for (int fn = 0; fn < 8; fn++) {
            uint32_t id = pci_read32(0, dev, fn, 0);
            if ((id & 0xFFFF) == 0xFFFF) {
                if (fn == 0) break;                        /* no device in this slot */
                continue;
            }
            uint16_t device = (uint16_t)(id >> 16);
            if ((id & 0xFFFF) != VIRTIO_VENDOR || (device != VIRTIO_BLK_MODERN && device != VIRTIO_BLK_TRANSITIONAL)) {
                continue;
            }
            /* The firmware assigned the BARs; the driver turns on memory decoding and DMA (bus mastering). */
            pci_write16(0, dev, fn, 0x04, pci_read16(0, dev, fn, 0x04) | 0x2 | 0x4);
            /* §4.1.4: walk the capability list for the virtio structures; use the first of each type. */
            for (uint8_t cap = pci_read8(0, dev, fn, 0x34) & 0xFC; cap != 0; cap = pci_read8(0, dev, fn, cap + 1) & 0xFC) {
                if (pci_read8(0, dev, fn, cap) != PCI_CAP_VENDOR) continue;
                uint8_t type = pci_read8(0, dev, fn, cap + 3);
                uint8_t bar = pci_read8(0, dev, fn, cap + 4);
                if (bar > 5) continue;                          /* §4.1.4.1: a reserved BAR value; skip the structure */
                uintptr_t base = bar_address(0, dev, fn, bar);
                if (base == 0) continue;
                uintptr_t at = base + pci_read32(0, dev, fn, cap + 8);
                if (type == CAP_COMMON && d->common == 0) d->common = at;
                if (type == CAP_ISR && d->isr == 0) d->isr = at;
                if (type == CAP_DEVICE && d->device_cfg == 0) d->device_cfg = at;
                if (type == CAP_NOTIFY && d->notify == 0) {
                    d->notify = at;
                    d->notify_multiplier = pci_read32(0, dev, fn, cap + 16);
                }
            }
            if (d->common == 0 || d->notify == 0 || d->isr == 0 || d->device_cfg == 0) {
                print("virtio-blk: the device lacks a usable common, notify, ISR or device configuration structure\n");
                qemu_exit(EXIT_BAD_TRANSPORT);
            }
            print("virtio-blk: found ");
            print_hex(id);
            print(" at 00:");
            print_dec((uint32_t)dev);
            print(".");
            print_dec((uint32_t)fn);
            print(", common configuration at ");
            print_hex((uint32_t)d->common);
            print("\n");
            return;
        }
    }
    print("virtio-blk: no virtio block device on PCI bus 0\n");
    qemu_exit(EXIT_NO_DEVICE);
}

static uint8_t status(const struct virtio_dev *d) { return mmio_read8(d->common + COMMON_STATUS); }
static void set_status(struct virtio_dev *d, uint8_t s) { mmio_write8(d->common + COMMON_STATUS, s); }

void virtio_fail(struct virtio_dev *d, int code) {
    /* §3.1.1: a driver that gives up sets FAILED (added to the bits it has set: clearing one is only by reset). */
    set_status(d, status(d) | STATUS_FAILED);
    qemu_exit((uint8_t)code);
}

int virtio_offers(const struct virtio_dev *d, int bit) { return (d->offered[bit / 32] >> (bit % 32)) & 1; }
int virtio_accepted(const struct virtio_dev *d, int bit) { return (d->accepted[bit / 32] >> (bit % 32)) & 1; }

/* §3.1.1 steps 1 to 6: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, and the check that it stuck. */
void virtio_negotiate(struct virtio_dev *d, const uint32_t wanted[2]) {
    uintptr_t c = d->common;
    /* 1. Reset; §4.1.4.3.2: wait for device_status to read 0 before going on, the reset may take a while. */
    set_status(d, 0);
    while (status(d) != 0) {
    }
    /* 2. and 3. ACKNOWLEDGE, then DRIVER: each its own write, each adding to what is set. */
    set_status(d, STATUS_ACKNOWLEDGE);
    set_status(d, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    /* 4. Read both feature words and accept the subset the driver understands. */
    for (uint32_t w = 0; w < 2; w++) {
        mmio_write32(c + COMMON_DFSELECT, w);
        d->offered[w] = mmio_read32(c + COMMON_DF);
#ifdef FAULT_UNOFFERED_FEATURE
        /* FAULT: "the device surely has these": what the driver wants, whatever the device offered. */
        d->accepted[w] = wanted[w];
#else
        d->accepted[w] = wanted[w] & d->offered[w];
#endif
    }
    for (uint32_t w = 0; w < 2; w++) {
        mmio_write32(c + COMMON_GFSELECT, w);
        mmio_write32(c + COMMON_GF, d->accepted[w]);
    }
    print("virtio-blk: device offers ");
    print_hex(d->offered[1]);
    print(":");
    print_hex(d->offered[0]);
    print(", driver accepts ");
    print_hex(d->accepted[1]);
    print(":");
    print_hex(d->accepted[0]);
    print("\n");
    if (!virtio_accepted(d, F_VERSION_1)) {
        print("virtio-blk: no VIRTIO_F_VERSION_1: a legacy device, which this driver does not drive\n");
        virtio_fail(d, EXIT_FEATURES_REFUSED);
    }
    /* 5. FEATURES_OK: from here on the driver accepts no new feature bits. */
    set_status(d, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
    /* 6. Read device_status back: a device that cannot work with this subset clears FEATURES_OK. */
#ifdef FAULT_NO_READBACK
    /* FAULT: trusts the write and goes straight on to the device set-up. */
#else
    if ((status(d) & STATUS_FEATURES_OK) == 0) {
        print("virtio-blk: the device did not take FEATURES_OK\n");
        virtio_fail(d, EXIT_FEATURES_REFUSED);
    }
#endif
}

/*
 * A 64-bit field of the device configuration: two 32-bit reads can tear, so they are bracketed by reads of
 * config_generation and repeated until it stays the same (§2.5.1, §4.1.4.3.1) [DRV-CFG-001].
 */
uint64_t virtio_read_config64(const struct virtio_dev *d, uint32_t offset) {
    uint8_t before, after;
    uint32_t lo, hi;
    do {
        before = mmio_read8(d->common + COMMON_CFGGEN);
        lo = mmio_read32(d->device_cfg + offset);
        hi = mmio_read32(d->device_cfg + offset + 4);
        after = mmio_read8(d->common + COMMON_CFGGEN);
    } while (before != after);
    return (uint64_t)hi << 32 | lo;
}

static void write64(uintptr_t at, uintptr_t value) {
    mmio_write32(at, (uint32_t)value);       /* §4.1.3.1: a 64-bit field is written as two 32-bit halves */
    mmio_write32(at + 4, 0);                 /* below 4 GiB: no paging, every address is 32-bit */
}

/*
 * §4.1.5.1.3 Virtqueue Configuration: select the queue, read its maximum size, choose a size, give the three
 * areas' addresses, learn where to notify, enable. q->size is the driver's choice on entry (a power of two, as a
 * split ring needs [DRV-PCI-017]); the rings are zeroed here, so that used.flags starts at 0 [DRV-SPLIT-034].
 */
void virtio_queue_setup(struct virtio_dev *d, struct split_queue *q) {
    uintptr_t c = d->common;
    mmio_write16(c + COMMON_Q_SELECT, q->index);
    uint16_t max = mmio_read16(c + COMMON_Q_SIZE);
    if (max == 0) {
        print("virtio-blk: queue 0 is not available\n");
        virtio_fail(d, EXIT_NO_QUEUE);
    }
    while (q->size > max) q->size /= 2;
    memset(q->desc, 0, sizeof(struct virtq_desc) * q->size);
    memset(q->avail, 0, sizeof(struct virtq_avail) + sizeof(uint16_t) * (q->size + 1u));
    memset(q->used, 0, sizeof(struct virtq_used) + sizeof(struct virtq_used_elem) * q->size + sizeof(uint16_t));
    /* Polling, not interrupts: ask the device not to interrupt (§2.7.7; a hint it may ignore). */
    q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    mmio_write16(c + COMMON_Q_SIZE, q->size);
    write64(c + COMMON_Q_DESC, (uintptr_t)q->desc);
    write64(c + COMMON_Q_DRIVER, (uintptr_t)q->avail);
    write64(c + COMMON_Q_DEVICE, (uintptr_t)q->used);
    /* §4.1.4.4: the queue's notification address is notify + queue_notify_off * notify_off_multiplier. */
    q->notify_addr = d->notify + (uintptr_t)mmio_read16(c + COMMON_Q_NOFF) * d->notify_multiplier;
    mmio_write16(c + COMMON_Q_ENABLE, 1);
#ifdef FAULT_NOTIFY_EARLY
    /* FAULT: "wake the queue up" as soon as it is enabled, before the device is live. */
    virtio_notify(q);
#endif
}

/* §3.1.1 step 8: the device is live. */
void virtio_driver_ok(struct virtio_dev *d) {
    set_status(d, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
}

/* §4.1.5.2: an available buffer notification is the queue's index written to its notification address. */
void virtio_notify(const struct split_queue *q) {
    mmio_write16(q->notify_addr, q->index);
}

/* §4.1.4.5: one byte, cleared by reading it. */
uint8_t virtio_isr(const struct virtio_dev *d) {
    return mmio_read8(d->isr);
}
