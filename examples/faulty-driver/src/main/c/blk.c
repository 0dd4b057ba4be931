/*
 * A virtio-blk driver in one request at a time (virtio 1.x §5.2), over one split virtqueue (§2.7) that it polls:
 * it writes a pattern to a few sectors, flushes when the device offers FLUSH, reads them back and compares. The
 * kernel then ends QEMU through the exit device with 0 (its own check passed) or a failure code (hw.h).
 *
 * Faults this file can be built with (make FAULT=...; README.md explains each):
 *   status-before-data  puts a write's status byte before its data in the chain   [DRV-SPLIT-006]
 *   flush-sector        sends FLUSH with the previous write's sector in its header [DRV-BLK-015]
 */
#include "hw.h"
#include "virtio.h"

#define QUEUE_SIZE 8          /* one request in flight needs three descriptors; 8 is the next power of two */
#define TEST_SECTOR 8         /* where the pattern goes: past sector 0, which a firmware may read */
#define TEST_SECTORS 8        /* 4 KiB */
#define TIMEOUT_SECONDS 5
#define ATTEMPTS 3

/* §2.7 alignment: descriptor table 16 bytes, available ring 2, used ring 4; a page each is simply generous. */
static struct virtq_desc desc_table[QUEUE_SIZE] __attribute__((aligned(4096)));
static uint8_t avail_area[sizeof(struct virtq_avail) + 2 * (QUEUE_SIZE + 1)] __attribute__((aligned(4096)));
static uint8_t used_area[sizeof(struct virtq_used) + 8 * QUEUE_SIZE + 2] __attribute__((aligned(4096)));

/* The request's parts. The header is device-readable, the status device-writable (§5.2.6). */
static struct virtio_blk_req_header header __attribute__((aligned(16)));
static volatile uint8_t req_status;
static uint8_t out_data[TEST_SECTORS * SECTOR_SIZE] __attribute__((aligned(4096)));
static uint8_t in_data[TEST_SECTORS * SECTOR_SIZE] __attribute__((aligned(4096)));

static struct virtio_dev dev;
static struct split_queue queue = {
    .index = 0, .size = QUEUE_SIZE, .desc = desc_table,
    .avail = (struct virtq_avail *)avail_area, .used = (struct virtq_used *)used_area,
};
static uint16_t last_used;    /* the used index up to which the driver has consumed the used ring */
static uint64_t capacity;     /* in 512-byte sectors (§5.2.4) */

static void read_capacity(void) {
    capacity = virtio_read_config64(&dev, 0);
    print("virtio-blk: capacity ");
    print_dec((uint32_t)capacity);
    print(" sectors\n");
}

/*
 * Without interrupts, a configuration change notification is seen by polling the ISR status: bit 1 says the
 * device configuration changed (§4.1.4.5), and reading it clears it. virtio-blk's configuration change is a new
 * capacity, which the driver then re-reads (§5.2.6.1) [DRV-BLK-012].
 */
static void check_config_change(void) {
    if (!(virtio_isr(&dev) & ISR_CONFIG_CHANGE)) return;
#ifdef FAULT_TORN_CAPACITY
    /* FAULT: "the device has just said it changed, so nothing changes while we look": the 64-bit capacity read as
       two 32-bit halves with no config_generation around them. Only a device that changes its capacity sees it. */
    capacity = (uint64_t)mmio_read32(dev.device_cfg + 4) << 32 | mmio_read32(dev.device_cfg);
    print("virtio-blk: capacity now ");
    print_dec((uint32_t)capacity);
    print(" sectors\n");
#else
    read_capacity();
#endif
}

static const char *type_name(uint32_t type) {
    return type == BLK_T_IN ? "IN" : type == BLK_T_OUT ? "OUT" : type == BLK_T_FLUSH ? "FLUSH" : "?";
}

static void set_desc(int i, void *addr, uint32_t len, uint16_t flags, uint16_t next) {
    desc_table[i].addr = (uintptr_t)addr;
    desc_table[i].len = len;
    desc_table[i].flags = flags;
    desc_table[i].next = next;
}

/*
 * Makes the chain starting at descriptor 0 available (§2.7.13), notifies unless the device asked not to be
 * (§2.7.10), and polls the used ring until the device has used it or the time-out passes.
 */
static void submit_and_wait(void) {
    volatile struct virtq_avail *avail = queue.avail;
    volatile struct virtq_used *used = queue.used;
    avail->ring[avail->idx % queue.size] = 0;     /* the chain always starts at descriptor 0 */
    /* §2.7.13.3.1: the ring entry before the index that publishes it; x86 keeps stores in order. */
    compiler_barrier();
    avail->idx = (uint16_t)(avail->idx + 1);
    /* The index before the device can be told to look: a full fence before reading used.flags and notifying. */
    full_barrier();
    if ((used->flags & VIRTQ_USED_F_NO_NOTIFY) == 0) virtio_notify(&queue);

    uint8_t seconds = rtc_seconds();
    int ticks = 0;
    while (used->idx == last_used) {
        uint8_t now = rtc_seconds();
        if (now != seconds) {
            seconds = now;
            if (++ticks >= TIMEOUT_SECONDS) {
                print("virtio-blk: the device did not use the request within ");
                print_dec(TIMEOUT_SECONDS);
                print(" s\n");
                virtio_fail(&dev, EXIT_TIMEOUT);
            }
        }
    }
    compiler_barrier();       /* the used element after the index that announced it */
    last_used = (uint16_t)(last_used + 1);
}

/*
 * One virtio-blk request (§5.2.6): header, optional data, status. A status other than OK is tried again, up to
 * ATTEMPTS in all: a device may fail a request once (PVKit's generated device behaviour injects such failures)
 * and the driver's own check is about the data, not about the first answer. Returns only when it succeeded.
 */
static void request(uint32_t type, uint64_t sector, void *data, uint32_t bytes) {
    for (int attempt = 1;; attempt++) {
        header.type = type;
        header.reserved = 0;
        header.sector = sector;
        req_status = 0xFF;
        set_desc(0, &header, sizeof header, VIRTQ_DESC_F_NEXT, 1);
        if (bytes == 0) {
            set_desc(1, (void *)&req_status, 1, VIRTQ_DESC_F_WRITE, 0);
        } else if (type == BLK_T_IN) {
            set_desc(1, data, bytes, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);   /* the device fills the data */
            set_desc(2, (void *)&req_status, 1, VIRTQ_DESC_F_WRITE, 0);
        } else {
#ifdef FAULT_STATUS_BEFORE_DATA
            /* FAULT: status slot right after the header "so it is always descriptor 1", data last. */
            set_desc(1, (void *)&req_status, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
            set_desc(2, data, bytes, 0, 0);
#else
            set_desc(1, data, bytes, VIRTQ_DESC_F_NEXT, 2);                        /* the device reads the data */
            set_desc(2, (void *)&req_status, 1, VIRTQ_DESC_F_WRITE, 0);
#endif
        }
        submit_and_wait();
        print("virtio-blk: ");
        print(type_name(type));
        print(" sector ");
        print_dec((uint32_t)sector);
        print(", ");
        print_dec(bytes);
        print(" bytes: status ");
        print_dec(req_status);
        print("\n");
        check_config_change();
        if (req_status == BLK_S_OK) return;
        if (attempt == ATTEMPTS) virtio_fail(&dev, EXIT_IO_ERROR);
    }
}

static uint8_t pattern(uint32_t i) {
    return (uint8_t)(i * 7 + (i >> 9) + 0x5A);   /* differs from sector to sector and from a blank disk */
}

void kmain(void) {
    console_init();
#ifdef FAULT_NAME
    print("pvkit faulty-driver: virtio-blk driver built with FAULT=" FAULT_NAME "\n");
#else
    print("pvkit faulty-driver: virtio-blk driver, clean build\n");
#endif
    virtio_pci_find(&dev);

    /* VERSION_1 is what makes this a modern driver; FLUSH lets it make the write durable. Nothing else. */
    uint32_t wanted[2] = {1u << BLK_F_FLUSH, 1u << (F_VERSION_1 - 32)};
#ifdef FAULT_UNOFFERED_FEATURE
    wanted[0] |= 1u << BLK_F_GEOMETRY;           /* "we might print the disk's geometry one day" */
#endif
    virtio_negotiate(&dev, wanted);

    /* §3.1.1 step 7, device-specific set-up: the capacity (§5.2.4, in 512-byte sectors), then queue 0. */
    read_capacity();
    if (capacity < TEST_SECTOR + TEST_SECTORS) virtio_fail(&dev, EXIT_DISK_TOO_SMALL);
    virtio_queue_setup(&dev, &queue);
    virtio_driver_ok(&dev);
    print("virtio-blk: DRIVER_OK, queue 0 of size ");
    print_dec(queue.size);
    print("\n");

    for (uint32_t i = 0; i < sizeof out_data; i++) out_data[i] = pattern(i);
    request(BLK_T_OUT, TEST_SECTOR, out_data, sizeof out_data);
    if (virtio_accepted(&dev, BLK_F_FLUSH)) {
#ifdef FAULT_FLUSH_SECTOR
        /* FAULT: reuses the write's header and changes only its type, leaving the write's sector in it. */
        request(BLK_T_FLUSH, header.sector, 0, 0);
#else
        request(BLK_T_FLUSH, 0, 0, 0);            /* §5.2.6.1: a FLUSH has sector 0 */
#endif
    }
    request(BLK_T_IN, TEST_SECTOR, in_data, sizeof in_data);
    for (uint32_t i = 0; i < sizeof in_data; i++) {
        if (in_data[i] != out_data[i]) {
            print("virtio-blk: read back differs at byte ");
            print_dec(i);
            print("\n");
            virtio_fail(&dev, EXIT_DATA_MISMATCH);
        }
    }
    print("virtio-blk: read back what was written: PASS\n");
    qemu_exit(EXIT_OK);
}
