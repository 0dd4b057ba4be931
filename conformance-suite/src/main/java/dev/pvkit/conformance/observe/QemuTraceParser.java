package dev.pvkit.conformance.observe;

import dev.pvkit.conformance.observe.TransportEvent.Region;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns one line of QEMU's memory-region trace into a {@link TransportEvent}. QEMU 7.2 writes, with
 * {@code -msg timestamp=on} and {@code -trace memory_region_ops_write -trace memory_region_ops_read}:
 *
 * <pre>
 * 4711@1796395354.227850:memory_region_ops_write cpu 0 mr 0x56238d8a8d70 addr 0xfebf8014 value 0x3 size 1 name 'virtio-pci-common-virtio-blk'
 * </pre>
 *
 * The prefix is the log trace backend's {@code "%d@%zu.%06zu:"} of {@code qemu_get_thread_id()} (a thread id, not
 * the process id: vCPU threads differ) and {@code gettimeofday()}: the host's wall clock, the same clock as
 * {@link EventLog#nowMicros()}. Without {@code -msg timestamp=on} QEMU 7.2 writes no prefix at all; such lines
 * have no time and are refused.
 *
 * <p>Region: from the memory-region name, {@code virtio-pci-common-<dev>}, {@code -device-}, {@code -isr-},
 * {@code -notify-}; {@code <dev>} is the virtio device's name ({@code virtio-blk}, {@code vhost-user-blk}). The
 * only {@code -pio} variant is {@code virtio-pci-notify-pio-<dev>}: the notification capability in the modern I/O
 * BAR (a single 4-byte port, only there with {@code modern-pio-notify=on}). A write to it is the same driver step
 * as a write to the memory notify area — the driver writes the queue's index — so it is read as {@link
 * Region#NOTIFY} of {@code <dev>} at offset 0, not refused and not mistaken for a device called {@code pio-<dev>}.
 * The legacy (virtio 0.9) I/O BAR's region is named plain {@code virtio-pci}: not a modern structure, refused.
 *
 * <p>Offset: {@code addr} is the absolute guest-physical address ({@code memory_region_to_absolute_addr}). QEMU
 * 7.2's {@code virtio_pci_realize} (hw/virtio/virtio-pci.c) lays the modern memory BAR out as
 * {@code common.offset = 0x0, common.size = 0x1000; isr.offset = 0x1000, isr.size = 0x1000;
 * device.offset = 0x2000, device.size = 0x1000; notify.offset = 0x3000,
 * notify.size = virtio_pci_queue_mem_mult(proxy) * VIRTIO_QUEUE_MAX} (4 × 1024 = 0x1000 by default) and sizes the
 * BAR {@code pow2ceil(notify.offset + notify.size)} = 0x4000; a PCI BAR is aligned to its size, so every
 * structure starts at a 4 KiB boundary and is at most 4 KiB long: the offset within it is {@code addr & 0xfff}
 * (measured too: common at 0xfebf8000, isr 0xfebf9000, device 0xfebfa000). The one exception is the notify area
 * with {@code page-per-vq=on} (4 KiB per queue: the mask then drops the queue's page), which PVKit never sets;
 * besides, notifications of a vhost-user device go to its ioeventfd and are not traced at all. Accesses through
 * the {@code VIRTIO_PCI_CAP_PCI_CFG} window keep the BAR-relative address and the mask holds for them too.
 */
public final class QemuTraceParser {
    private static final Pattern LINE = Pattern.compile(
            "(\\d{1,10})@(\\d{1,12})\\.(\\d{6}):memory_region_ops_(read|write) cpu -?\\d+ mr \\S+ addr 0x([0-9a-f]{1,16}) "
                    + "value 0x([0-9a-f]{1,16}) size (\\d{1,2}) name '([^']*)'");
    private static final String PREFIX = "virtio-pci-";
    private static final String NOTIFY_PIO = "virtio-pci-notify-pio-";
    /** Each modern structure starts on a 4 KiB boundary and is at most 4 KiB long (see the class comment). */
    static final long STRUCTURE_MASK = 0xfff;
    /** The I/O-space notification capability is one 4-byte port. */
    private static final long NOTIFY_PIO_MASK = 0x3;

    private QemuTraceParser() {
    }

    /** The access that {@code line} traces, or empty for anything else (other regions, malformed lines); never throws. */
    public static Optional<TransportEvent> parse(String line) {
        if (line == null) return Optional.empty();
        Matcher m = LINE.matcher(line.strip());
        if (!m.matches()) return Optional.empty();
        String name = m.group(8);
        if (!name.startsWith(PREFIX)) return Optional.empty();
        Region region = null;
        String device = null;
        long mask = STRUCTURE_MASK;
        if (name.startsWith(NOTIFY_PIO)) {
            region = Region.NOTIFY;
            device = name.substring(NOTIFY_PIO.length());
            mask = NOTIFY_PIO_MASK;
        } else {
            for (Region r : Region.values()) {
                if (name.startsWith(r.namePrefix())) {
                    region = r;
                    device = name.substring(r.namePrefix().length());
                    break;
                }
            }
        }
        if (region == null || device.isEmpty()) return Optional.empty();
        // the pattern bounds every number: seconds to 12 digits, addr and value to 64 bits, size to 2 digits
        long micros = Long.parseLong(m.group(2)) * 1_000_000 + Long.parseLong(m.group(3));
        long addr = Long.parseUnsignedLong(m.group(5), 16);
        long value = Long.parseUnsignedLong(m.group(6), 16);
        int size = Integer.parseInt(m.group(7));
        if (size != 1 && size != 2 && size != 4 && size != 8) return Optional.empty();
        // QEMU traces what the region's read callback returned before masking it to the access: virtio-pci's common
        // configuration returns a whole 32-bit field to a 2-byte read. Keep what the driver saw (iPXE 2019 reads
        // device_feature with 16-bit loads: the trace says 0x309f8025, the driver got 0x8025).
        if (size < 8) value &= (1L << (8 * size)) - 1;
        return Optional.of(new TransportEvent(micros, region, m.group(4).equals("write"), (int) (addr & mask), size,
                value, device));
    }
}
