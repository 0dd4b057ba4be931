package dev.pvkit.conformance.observe;

import dev.pvkit.conformance.observe.TransportEvent.Region;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Lines taken from {@code traces/linux-blk.trace} (QEMU 7.2.22, vhost-user-blk-pci, SeaBIOS then Linux 6.1). */
class QemuTraceParserTest {
    private static final String STATUS_WRITE = "2302@1796395629.141191:memory_region_ops_write cpu 0 mr 0x55fa06e785b0 "
            + "addr 0xfebf8014 value 0x0 size 1 name 'virtio-pci-common-virtio-blk'";
    private static final String ISR_READ = "2302@1796395629.141245:memory_region_ops_read cpu 0 mr 0x55fa06e786d0 "
            + "addr 0xfebf9000 value 0x0 size 1 name 'virtio-pci-isr-virtio-blk'";
    private static final String FEATURE_READ = "2302@1796395629.141947:memory_region_ops_read cpu 0 mr 0x55fa06e785b0 "
            + "addr 0xfebf8004 value 0x30007e46 size 4 name 'virtio-pci-common-virtio-blk'";
    private static final String DESC_HIGH = "2302@1796395629.142622:memory_region_ops_write cpu 0 mr 0x55fa06e785b0 "
            + "addr 0xfebf8024 value 0x0 size 4 name 'virtio-pci-common-virtio-blk'";
    private static final String CONFIG_READ = "2302@1796395629.142204:memory_region_ops_read cpu 0 mr 0x55fa06e787f0 "
            + "addr 0xfebfa00c value 0xfe size 4 name 'virtio-pci-device-virtio-blk'";
    private static final String CPU1_DRIVER_OK = "2307@1796395637.454550:memory_region_ops_write cpu 1 mr 0x55fa06e785b0 "
            + "addr 0xfebf8014 value 0xf size 1 name 'virtio-pci-common-virtio-blk'";

    @Test
    void statusWrite() {
        TransportEvent e = QemuTraceParser.parse(STATUS_WRITE).orElseThrow();
        assertThat(e).isEqualTo(new TransportEvent(1796395629_141191L, Region.COMMON, true, 0x14, 1, 0, "virtio-blk"));
        assertThat(e.isWriteOf(CommonField.DEVICE_STATUS)).isTrue();
        assertThat(QemuTraceParser.parse(CPU1_DRIVER_OK).orElseThrow())
                .isEqualTo(new TransportEvent(1796395637_454550L, Region.COMMON, true, 0x14, 1, 0xf, "virtio-blk"));
    }

    @Test
    void readsOfEachStructure() {
        assertThat(QemuTraceParser.parse(ISR_READ)).contains(
                new TransportEvent(1796395629_141245L, Region.ISR, false, 0, 1, 0, "virtio-blk"));
        TransportEvent f = QemuTraceParser.parse(FEATURE_READ).orElseThrow();
        assertThat(f).isEqualTo(new TransportEvent(1796395629_141947L, Region.COMMON, false, 4, 4, 0x30007e46L, "virtio-blk"));
        assertThat(f.isReadOf(CommonField.DEVICE_FEATURE)).isTrue();
        assertThat(QemuTraceParser.parse(CONFIG_READ)).contains(
                new TransportEvent(1796395629_142204L, Region.DEVICE, false, 0xc, 4, 0xfe, "virtio-blk"));
    }

    @Test
    void aNarrowReadKeepsWhatTheDriverSawNotWhatQemuTraced() {
        // iPXE 2019's 16-bit read of device_feature: QEMU traces the field's whole 32-bit value, the driver gets 16 bits.
        TransportEvent e = QemuTraceParser.parse(FEATURE_READ.replace("size 4", "size 2")).orElseThrow();
        assertThat(e.size()).isEqualTo(2);
        assertThat(e.value()).isEqualTo(0x7e46L);
    }

    @Test
    void aHalfOfA64BitFieldIsThatField() {
        TransportEvent e = QemuTraceParser.parse(DESC_HIGH).orElseThrow();
        assertThat(e.offset()).isEqualTo(0x24);
        assertThat(e.commonField()).isEqualTo(CommonField.QUEUE_DESC);
    }

    @Test
    void notifyAndItsIoPortVariant() {
        // not in the recorded trace (vhost-user notifications go to an ioeventfd); the format is the same
        assertThat(QemuTraceParser.parse("7@1796395629.000001:memory_region_ops_write cpu 0 mr 0x5 addr 0xfebfb004 "
                + "value 0x1 size 2 name 'virtio-pci-notify-virtio-blk'"))
                .contains(new TransportEvent(1796395629_000001L, Region.NOTIFY, true, 4, 2, 1, "virtio-blk"));
        assertThat(QemuTraceParser.parse("7@1796395629.000001:memory_region_ops_write cpu 0 mr 0x5 addr 0xc040 "
                + "value 0x1 size 4 name 'virtio-pci-notify-pio-virtio-blk'"))
                .as("the I/O-port notify is a notify of virtio-blk, not of a device 'pio-virtio-blk'")
                .contains(new TransportEvent(1796395629_000001L, Region.NOTIFY, true, 0, 4, 1, "virtio-blk"));
    }

    @Test
    void fullWidthValuesAndAddresses() {
        assertThat(QemuTraceParser.parse("1@1.000000:memory_region_ops_read cpu 0 mr 0x5 addr 0xfffffffffffff020 "
                + "value 0xffffffffffffffff size 8 name 'virtio-pci-common-virtio-net'"))
                .contains(new TransportEvent(1_000_000L, Region.COMMON, false, 0x20, 8, -1L, "virtio-net"));
    }

    @Test
    void refusesWhatIsNoModernVirtioPciAccessNeverThrowing() {
        for (String bad : List.of(
                "",
                "garbage",
                // no -msg timestamp=on: no time
                "memory_region_ops_write cpu 0 mr 0x55fa06e785b0 addr 0xfebf8014 value 0x0 size 1 name 'virtio-pci-common-virtio-blk'",
                // another device, the legacy I/O BAR, an unknown virtio-pci region, no device name
                "2302@1796395629.141191:memory_region_ops_write cpu 0 mr 0x5 addr 0x70 value 0x8f size 1 name 'rtc-index'",
                "2302@1796395629.141191:memory_region_ops_read cpu 0 mr 0x5 addr 0xc000 value 0x0 size 4 name 'virtio-pci'",
                "2302@1796395629.141191:memory_region_ops_read cpu 0 mr 0x5 addr 0xc000 value 0x0 size 4 name 'virtio-pci-lm-virtio-blk'",
                "2302@1796395629.141191:memory_region_ops_read cpu 0 mr 0x5 addr 0xc000 value 0x0 size 4 name 'virtio-pci-common-'",
                // another event, a cut-off line, a size that is no access width, a value too wide
                "2302@1796395629.141191:virtio_set_status vdev 0x55 val 11",
                STATUS_WRITE.substring(0, STATUS_WRITE.length() - 10),
                STATUS_WRITE.replace("size 1", "size 3"),
                STATUS_WRITE.replace("value 0x0", "value 0x10000000000000000"),
                STATUS_WRITE.replace("2302@1796395629.", "2302@99999999999999999999."))) {
            assertThat(QemuTraceParser.parse(bad)).as(bad).isEmpty();
        }
        assertThat(QemuTraceParser.parse(null)).isEmpty();
    }

    @Test
    void transportTraceAddsEventsAndCountsSkippedLines() {
        EventLog log = new EventLog();
        TransportTrace t = new TransportTrace(log);
        t.accept(STATUS_WRITE);
        t.accept("nonsense");
        t.accept(ISR_READ);
        t.accept(null);
        assertThat(log.arrived()).containsExactly(QemuTraceParser.parse(STATUS_WRITE).orElseThrow(),
                QemuTraceParser.parse(ISR_READ).orElseThrow());
        assertThat(t.parsed()).isEqualTo(2);
        assertThat(t.skipped()).isEqualTo(2);
        assertThat(t.firstSkipped()).isEqualTo("nonsense");
    }

    @Test
    void theRecordedLinuxTraceParsesWhole() {
        List<TransportEvent> events = Traces.load("linux-blk.trace");
        assertThat(events).hasSize(Traces.lines("linux-blk.trace").size()).hasSize(324);
        assertThat(events).allMatch(e -> e.device().equals("virtio-blk"));
        assertThat(events).extracting(TransportEvent::micros).isSorted();
        List<Long> status = events.stream().filter(e -> e.isWriteOf(CommonField.DEVICE_STATUS)).map(TransportEvent::value).toList();
        // SeaBIOS; Linux; rebind; Linux's reset at reboot; SeaBIOS; Linux; Linux's reset at poweroff
        assertThat(status).containsExactly(0L, 3L, 0xbL, 0xfL, 0L, 1L, 3L, 0xbL, 0xfL, 0L, 1L, 3L, 0xbL, 0xfL, 0L,
                0L, 3L, 0xbL, 0xfL, 0L, 1L, 3L, 0xbL, 0xfL, 0L);
        Optional<TransportEvent> outside = events.stream().filter(e -> e.offset() >= 0x1000).findAny();
        assertThat(outside).isEmpty();
    }
}
