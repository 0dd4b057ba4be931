/*
 * Numbers and layouts from the virtio 1.x specification (section numbers are virtio 1.2's; 1.3 and 1.4 keep
 * them), and the interface between the transport (virtio_pci.c) and the block driver (blk.c).
 */
#ifndef VIRTIO_H
#define VIRTIO_H

#include <stdint.h>

/* §2.1 Device Status Field */
#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8
#define STATUS_FAILED 128

/* §6 Reserved Feature Bits; §5.2.3 Block Device Feature Bits */
#define F_VERSION_1 32
#define BLK_F_GEOMETRY 4
#define BLK_F_FLUSH 9

/* §4.1.4.3 Common configuration structure layout: byte offsets in the common configuration */
#define COMMON_DFSELECT 0x00     /* device_feature_select, le32 */
#define COMMON_DF 0x04           /* device_feature, le32, read-only */
#define COMMON_GFSELECT 0x08     /* driver_feature_select, le32 */
#define COMMON_GF 0x0C           /* driver_feature, le32 */
#define COMMON_NUMQ 0x12         /* num_queues, le16, read-only */
#define COMMON_STATUS 0x14       /* device_status, u8 */
#define COMMON_CFGGEN 0x15       /* config_generation, u8, read-only */
#define COMMON_Q_SELECT 0x16     /* queue_select, le16 */
#define COMMON_Q_SIZE 0x18       /* queue_size, le16 */
#define COMMON_Q_ENABLE 0x1C     /* queue_enable, le16 */
#define COMMON_Q_NOFF 0x1E       /* queue_notify_off, le16, read-only */
#define COMMON_Q_DESC 0x20       /* queue_desc, le64: two le32 halves */
#define COMMON_Q_DRIVER 0x28     /* queue_driver (the available ring), le64 */
#define COMMON_Q_DEVICE 0x30     /* queue_device (the used ring), le64 */

/* §4.1.4.5 ISR status capability */
#define ISR_CONFIG_CHANGE 2

/* §2.7.5 The Virtqueue Descriptor Table */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* §2.7.6 The Virtqueue Available Ring; §2.7.7 Used Buffer Notification Suppression */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];
};

/* §2.7.8 The Virtqueue Used Ring; §2.7.10 Available Buffer Notification Suppression */
#define VIRTQ_USED_F_NO_NOTIFY 1
struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};
struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];
};

/* §5.2.6 Block Device Operation */
#define BLK_T_IN 0
#define BLK_T_OUT 1
#define BLK_T_FLUSH 4
#define BLK_S_OK 0
#define SECTOR_SIZE 512
struct virtio_blk_req_header {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

/* What virtio_pci.c found and set up, for blk.c. */
struct virtio_dev {
    uintptr_t common;            /* common configuration (cfg_type 1) */
    uintptr_t notify;            /* notification area (cfg_type 2) */
    uint32_t notify_multiplier;
    uintptr_t isr;               /* ISR status (cfg_type 3) */
    uintptr_t device_cfg;        /* device-specific configuration (cfg_type 4): virtio_blk_config */
    uint32_t offered[2];         /* device_feature words 0 and 1 as read */
    uint32_t accepted[2];        /* driver_feature words 0 and 1 as written */
};

struct split_queue {
    uint16_t index;
    uint16_t size;
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    uintptr_t notify_addr;
};

/* virtio_pci.c: the transport, in the order a driver uses it */
void virtio_pci_find(struct virtio_dev *d);
void virtio_negotiate(struct virtio_dev *d, const uint32_t wanted[2]);
int virtio_offers(const struct virtio_dev *d, int bit);
int virtio_accepted(const struct virtio_dev *d, int bit);
uint64_t virtio_read_config64(const struct virtio_dev *d, uint32_t offset);
void virtio_queue_setup(struct virtio_dev *d, struct split_queue *q);
void virtio_driver_ok(struct virtio_dev *d);
void virtio_notify(const struct split_queue *q);
uint8_t virtio_isr(const struct virtio_dev *d);
void virtio_fail(struct virtio_dev *d, int code) __attribute__((noreturn));

#endif
