package dev.pvkit.backends.blk;

import dev.pvkit.backends.blk.BlkDriver.Done;
import dev.pvkit.backends.blk.BlkDriver.Req;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.pvkit.backends.blk.VirtioBlk.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every request type and validation rule of the virtio-blk device, driven through the SDK's test kit (its driver
 * models and device queues, in process) by {@link BlkDriver}.
 */
class VirtioBlkDeviceTest {
    static final long DISK = 1 << 20;                 // 2048 sectors
    static final long SECTORS = DISK / 512;
    static final int OK = 0;
    static final int IOERR = 1;
    static final int UNSUPP = 2;

    MemoryBlockStore store;
    VirtioBlkDevice device;
    BlkDriver blk;

    @AfterEach
    void stop() {
        if (blk != null) blk.close();
    }

    BlkDriver start(BlkOptions options, long features) {
        store = new MemoryBlockStore(DISK);
        device = new VirtioBlkDevice(store, options);
        blk = BlkDriver.start(device, features);
        return blk;
    }

    BlkDriver start() {
        return start(BlkOptions.defaults(DISK), BlkDriver.features(false));
    }

    /** {@code size} bytes of the configuration space at {@code offset}, as the driver reads them. */
    byte[] config(int offset, int size) {
        return Arrays.copyOfRange(blk.harness.config(), offset, offset + size);
    }

    static byte[] random(int bytes, long seed) {
        byte[] b = new byte[bytes];
        new Random(seed).nextBytes(b);
        return b;
    }

    byte[] onDisk(long sector, int bytes) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(bytes);
        store.read(sector * 512, b);
        return b.array();
    }

    // ------------------------------------------------------------------------------------------------ IN / OUT

    @ParameterizedTest(name = "packed={0}")
    @ValueSource(booleans = {false, true})
    void writeThenReadReturnsTheData(boolean packed) throws Exception {
        start(BlkOptions.defaults(DISK), BlkDriver.features(packed));
        byte[] data = random(8 * 512, 1);
        Done w = blk.submit(0, Req.out(100, data).shaped(3, true, false));
        assertThat(w.status()).isEqualTo(OK);
        assertThat(w.used()).as("OUT: status byte only").isEqualTo(1);
        assertThat(onDisk(100, data.length)).isEqualTo(data);

        Done r = blk.submit(0, Req.in(100, data.length).shaped(3, false, false));
        assertThat(r.status()).isEqualTo(OK);
        assertThat(r.used()).as("IN: data + status").isEqualTo(data.length + 1L);
        assertThat(r.data()).isEqualTo(data);
    }

    @Test
    void unwrittenSectorsReadAsZeroes() {
        start();
        Done r = blk.submit(0, Req.in(7, 1024));
        assertThat(r.status()).isEqualTo(OK);
        assertThat(r.data()).containsOnly(0);
    }

    @Test
    void headerSpanningTwoDescriptorsIsParsed() throws Exception {
        start();
        byte[] data = random(512, 2);
        assertThat(blk.submit(0, Req.out(3, data).shaped(1, false, true)).status()).isEqualTo(OK);
        assertThat(onDisk(3, 512)).isEqualTo(data);
        Done r = blk.submit(0, Req.in(3, 512).shaped(2, true, true));
        assertThat(r.status()).isEqualTo(OK);
        assertThat(r.data()).isEqualTo(data);
    }

    @Test
    void lastSectorsOfTheDiskCanBeReadAndWritten() {
        start();
        assertThat(blk.submit(0, Req.out(SECTORS - 2, random(1024, 3))).status()).isEqualTo(OK);
        assertThat(blk.submit(0, Req.in(SECTORS - 2, 1024)).status()).isEqualTo(OK);
    }

    @Test
    void readPastCapacityIsIoerr() {
        start();
        List<Done> d = blk.submit(0, List.of(Req.in(SECTORS - 1, 1024), Req.in(SECTORS, 512), Req.in(-1L, 512),
                Req.in(Long.MAX_VALUE / 256, 512)));
        assertThat(d).extracting(Done::status).containsOnly(IOERR);
        assertThat(d).extracting(Done::used).as("status byte only").containsOnly(1L);
        assertThat(d.get(0).data()).as("nothing read").containsOnly(BlkDriver.UNWRITTEN);
    }

    @Test
    void writePastCapacityIsIoerrAndStoresNothing() throws Exception {
        start();
        Done d = blk.submit(0, Req.out(SECTORS - 1, random(1024, 4)));
        assertThat(d.status()).isEqualTo(IOERR);
        assertThat(onDisk(SECTORS - 1, 512)).containsOnly(0);
    }

    @Test
    void inDataNotWholeSectorsIsIoerr() {
        start();
        Done d = blk.submit(0, Req.in(0, 513));
        assertThat(d.status()).isEqualTo(IOERR);
        assertThat(d.used()).isEqualTo(1);
    }

    @Test
    void outDataNotWholeSectorsIsIoerrAndStoresNothing() throws Exception {
        start();
        Done d = blk.submit(0, Req.out(0, random(700, 5)));
        assertThat(d.status()).isEqualTo(IOERR);
        assertThat(onDisk(0, 1024)).containsOnly(0);
    }

    // ------------------------------------------------------------------------------------------------ FLUSH, GET_ID, unknown

    @Test
    void flushCompletesWithOk() {
        start();
        Done d = blk.submit(0, Req.flush());
        assertThat(d.status()).isEqualTo(OK);
        assertThat(d.used()).isEqualTo(1);
    }

    @Test
    void getIdWritesTwentyBytesNulPadded() {
        start(BlkOptions.defaults(DISK).withSerial("disk-7"), BlkDriver.features(false));
        Done d = blk.submit(0, Req.getId());
        assertThat(d.status()).isEqualTo(OK);
        assertThat(d.used()).isEqualTo(21);
        assertThat(d.data()).isEqualTo(Arrays.copyOf("disk-7".getBytes(StandardCharsets.US_ASCII), 20));
    }

    @Test
    void getIdOfTwentyCharactersHasNoTerminator() {
        start(BlkOptions.defaults(DISK).withSerial("ABCDEFGHIJ0123456789"), BlkDriver.features(false));
        assertThat(new String(blk.submit(0, Req.getId()).data(), StandardCharsets.US_ASCII)).isEqualTo("ABCDEFGHIJ0123456789");
    }

    @Test
    void getIdWithTooSmallABufferIsIoerr() {
        start();
        Done d = blk.submit(0, Req.of(T_GET_ID, 0).withIn(10));
        assertThat(d.status()).isEqualTo(IOERR);
        assertThat(d.data()).containsOnly(BlkDriver.UNWRITTEN);
    }

    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {2, 3, 5, T_GET_LIFETIME, T_SECURE_ERASE, 15, 16, 26, 0x80000000, -1})
    void unknownOrUnofferedTypesAreUnsupp(int type) {
        start();
        Done d = blk.submit(0, Req.of(type, 0));
        assertThat(d.status()).isEqualTo(UNSUPP);
        assertThat(d.used()).isEqualTo(1);
    }

    // ------------------------------------------------------------------------------------------------ chain shape

    @Test
    void statusIsTheLastWritableByte() throws Exception {
        start();
        Done d = blk.submit(0, Req.out(1, random(512, 6)).withStatusBytes(4));
        assertThat(d.statusArea()).containsExactly(BlkDriver.UNWRITTEN, BlkDriver.UNWRITTEN, BlkDriver.UNWRITTEN, (byte) OK);
        assertThat(onDisk(1, 512)).isEqualTo(random(512, 6));
    }

    /** No request can be parsed, but the chain has a status byte: IOERR goes there (DEV-BLK-068), nothing else. */
    @Test
    void shortHeaderIsAnsweredIoerrInTheLastWritableByte() {
        start();
        Done d = blk.submit(0, Req.flush().withHeader(new byte[12]));
        assertThat(d.used()).as("status byte only").isEqualTo(1);
        assertThat(d.statusArea()).containsExactly((byte) IOERR);
        // The device still serves what comes next.
        assertThat(blk.submit(0, Req.flush()).status()).isEqualTo(OK);
    }

    @Test
    void shortHeaderWithDataBuffersWritesOnlyTheLastByte() {
        start();
        Done d = blk.submit(0, Req.in(0, 1024).withHeader(Arrays.copyOf(Req.header(T_IN, 0), 15)).withStatusBytes(3));
        assertThat(d.used()).isEqualTo(1);
        assertThat(d.data()).as("IN data untouched").containsOnly(BlkDriver.UNWRITTEN);
        assertThat(d.statusArea()).containsExactly(BlkDriver.UNWRITTEN, BlkDriver.UNWRITTEN, (byte) IOERR);

        Done none = blk.submit(0, Req.flush().withHeader(new byte[0]));
        assertThat(none.used()).as("no readable byte at all").isEqualTo(1);
        assertThat(none.status()).isEqualTo(IOERR);
    }

    @Test
    void requestWithoutAWritableByteIsReturnedWithNothingWritten() throws Exception {
        start();
        Done d = blk.submit(0, Req.out(2, random(512, 7)).withStatusBytes(0));
        assertThat(d.used()).isZero();
        assertThat(blk.submit(0, Req.flush()).status()).isEqualTo(OK);
    }

    // ------------------------------------------------------------------------------------------------ read-only

    @Test
    void readOnlyDiskOffersRoAndRefusesWrites() throws Exception {
        start(BlkOptions.defaults(DISK).withReadOnly(true), BlkDriver.features(false));
        assertThat(VirtioFeatures.has(blk.features(), F_RO)).isTrue();
        List<Done> d = blk.submit(0, List.of(Req.out(0, random(512, 8)),
                Req.ranges(T_DISCARD, new BlockRange(0, 1, 0)),
                Req.ranges(T_WRITE_ZEROES, new BlockRange(0, 1, 0)),
                Req.in(0, 512), Req.flush()));
        assertThat(d).extracting(Done::status).containsExactly(IOERR, IOERR, IOERR, OK, OK);
        assertThat(onDisk(0, 512)).containsOnly(0);
    }

    // ------------------------------------------------------------------------------------------------ discard / write zeroes

    @Test
    void writeZeroesZeroesEveryRangeWithOrWithoutUnmap() throws Exception {
        start();
        assertThat(blk.submit(0, Req.out(10, random(16 * 512, 9))).status()).isEqualTo(OK);
        Done d = blk.submit(0, Req.ranges(T_WRITE_ZEROES, new BlockRange(10, 2, 0), new BlockRange(20, 3, BlockRange.UNMAP)));
        assertThat(d.status()).isEqualTo(OK);
        assertThat(onDisk(10, 1024)).containsOnly(0);
        assertThat(onDisk(20, 3 * 512)).containsOnly(0);
        assertThat(onDisk(12, 8 * 512)).isEqualTo(Arrays.copyOfRange(random(16 * 512, 9), 2 * 512, 10 * 512));
        assertThat(blk.submit(0, Req.in(20, 512)).data()).containsOnly(0);
    }

    @Test
    void discardCompletesWithOk() {
        start();
        assertThat(blk.submit(0, Req.ranges(T_DISCARD, new BlockRange(0, 8, 0), new BlockRange(100, 1, 0))).status()).isEqualTo(OK);
    }

    @Test
    void discardWithUnmapIsUnsupp() {
        start();
        assertThat(blk.submit(0, Req.ranges(T_DISCARD, new BlockRange(0, 8, BlockRange.UNMAP))).status()).isEqualTo(UNSUPP);
    }

    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {T_DISCARD, T_WRITE_ZEROES})
    void reservedFlagBitsAreUnsuppEvenWhenAnotherRangeIsBad(int type) throws Exception {
        start();
        blk.submit(0, Req.out(0, random(512, 10)));
        Done d = blk.submit(0, Req.ranges(type, new BlockRange(0, 1, 0), new BlockRange(SECTORS, 5, 0), new BlockRange(1, 1, 0x4)));
        assertThat(d.status()).isEqualTo(UNSUPP);
        assertThat(onDisk(0, 512)).as("nothing done").isEqualTo(random(512, 10));
    }

    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {T_DISCARD, T_WRITE_ZEROES})
    void rangePastCapacityIsIoerr(int type) {
        start();
        assertThat(blk.submit(0, Req.ranges(type, new BlockRange(SECTORS - 1, 2, 0))).status()).isEqualTo(IOERR);
        assertThat(blk.submit(0, Req.ranges(type, new BlockRange(-8, 1, 0))).status()).isEqualTo(IOERR);
    }

    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {T_DISCARD, T_WRITE_ZEROES})
    void moreSectorsThanTheLimitIsIoerr(int type) {
        start(BlkOptions.defaults(DISK).withLimits(new BlockLimits(true, 8, 2, 1, true, 8, 2, true)), BlkDriver.features(false));
        assertThat(blk.submit(0, Req.ranges(type, new BlockRange(0, 8, 0))).status()).isEqualTo(OK);
        assertThat(blk.submit(0, Req.ranges(type, new BlockRange(0, 9, 0))).status()).isEqualTo(IOERR);
    }

    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {T_DISCARD, T_WRITE_ZEROES})
    void moreSegmentsThanTheLimitIsIoerr(int type) {
        start(BlkOptions.defaults(DISK).withLimits(new BlockLimits(true, 8, 2, 1, true, 8, 2, true)), BlkDriver.features(false));
        BlockRange r = new BlockRange(0, 1, 0);
        assertThat(blk.submit(0, Req.ranges(type, r, r)).status()).isEqualTo(OK);
        assertThat(blk.submit(0, Req.ranges(type, r, r, r)).status()).isEqualTo(IOERR);
    }

    /**
     * virtio 1.4 §5.2.6.2: UNSUPP for an unknown flag (and UNMAP in a DISCARD) is unconditional; the segment count
     * and the 16-byte granularity are driver rules. So the flag rules win over both, in any segment.
     */
    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {T_DISCARD, T_WRITE_ZEROES})
    void flagRulesWinOverTooManySegmentsAndPartialSegments(int type) throws Exception {
        start(BlkOptions.defaults(DISK).withLimits(new BlockLimits(true, 8, 2, 1, true, 8, 2, true)), BlkDriver.features(false));
        blk.submit(0, Req.out(0, random(512, 11)));
        BlockRange ok = new BlockRange(0, 1, 0);
        assertThat(blk.submit(0, Req.ranges(type, ok, ok, new BlockRange(0, 1, 0x80000000))).status())
                .as("reserved flag in the third of three segments, limit 2").isEqualTo(UNSUPP);
        byte[] segs = Req.ranges(type, ok, new BlockRange(0, 1, 0x2)).out();
        assertThat(blk.submit(0, Req.of(type, 0).withOut(Arrays.copyOf(segs, segs.length + 5))).status())
                .as("reserved flag, then 5 bytes that are no segment").isEqualTo(UNSUPP);
        // 300 segments: more than one read batch, the bad one last.
        BlockRange[] many = new BlockRange[300];
        Arrays.fill(many, ok);
        many[299] = new BlockRange(0, 1, 0x10);
        assertThat(blk.submit(0, Req.ranges(type, many)).status()).as("reserved flag in segment 300").isEqualTo(UNSUPP);
        many[299] = ok;
        assertThat(blk.submit(0, Req.ranges(type, many)).status()).as("300 clean segments, limit 2").isEqualTo(IOERR);
        assertThat(onDisk(0, 512)).as("nothing done").isEqualTo(random(512, 11));
        if (type == T_DISCARD) {
            assertThat(blk.submit(0, Req.ranges(type, ok, ok, new BlockRange(0, 1, BlockRange.UNMAP))).status())
                    .as("UNMAP in the third DISCARD segment, limit 2").isEqualTo(UNSUPP);
        }
    }

    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {T_DISCARD, T_WRITE_ZEROES})
    void segmentDataNotWholeSegmentsIsIoerr(int type) {
        start();
        assertThat(blk.submit(0, Req.of(type, 0).withOut(new byte[20])).status()).isEqualTo(IOERR);
    }

    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {T_DISCARD, T_WRITE_ZEROES})
    void rangeRequestsWithoutTheirFeatureAreUnsupp(int type) {
        long wanted = BlkDriver.features(false) & ~VirtioFeatures.bit(F_DISCARD) & ~VirtioFeatures.bit(F_WRITE_ZEROES);
        start(BlkOptions.defaults(DISK), wanted);
        assertThat(blk.submit(0, Req.ranges(type, new BlockRange(0, 1, 0))).status()).isEqualTo(UNSUPP);
    }

    @Test
    void rangeRequestsNotOfferedAreUnsupp() {
        start(BlkOptions.defaults(DISK).withLimits(BlockLimits.none()), BlkDriver.features(false));
        assertThat(VirtioFeatures.has(device.features(), F_DISCARD)).isFalse();
        assertThat(VirtioFeatures.has(device.features(), F_WRITE_ZEROES)).isFalse();
        assertThat(blk.submit(0, Req.ranges(T_DISCARD, new BlockRange(0, 1, 0))).status()).isEqualTo(UNSUPP);
        assertThat(blk.submit(0, Req.ranges(T_WRITE_ZEROES, new BlockRange(0, 1, 0))).status()).isEqualTo(UNSUPP);
    }

    // ------------------------------------------------------------------------------------------------ queues, features, config

    @Test
    void everyQueueServesRequests() {
        start(BlkOptions.defaults(DISK).withQueues(3), BlkDriver.features(true));
        assertThat(device.queueCount()).isEqualTo(3);
        for (int q = 0; q < 3; q++) {
            byte[] data = random(1024, 20 + q);
            assertThat(blk.submit(q, Req.out(q * 10L, data)).status()).isEqualTo(OK);
            assertThat(blk.submit((q + 1) % 3, Req.in(q * 10L, 1024)).data()).isEqualTo(data);
        }
    }

    @Test
    void offeredFeaturesFollowTheOptions() {
        long base = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.EVENT_IDX)
                | VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC) | VirtioFeatures.bit(F_SIZE_MAX) | VirtioFeatures.bit(F_SEG_MAX)
                | VirtioFeatures.bit(F_BLK_SIZE) | VirtioFeatures.bit(F_TOPOLOGY) | VirtioFeatures.bit(F_FLUSH)
                | VirtioFeatures.bit(F_CONFIG_WCE) | VirtioFeatures.bit(F_DISCARD) | VirtioFeatures.bit(F_WRITE_ZEROES);
        MemoryBlockStore s = new MemoryBlockStore(DISK);
        assertThat(new VirtioBlkDevice(s, BlkOptions.defaults(DISK).withPacked(false)).features()).isEqualTo(base);
        assertThat(new VirtioBlkDevice(s, BlkOptions.defaults(DISK)).features())
                .isEqualTo(base | VirtioFeatures.bit(VirtioFeatures.RING_PACKED));
        assertThat(new VirtioBlkDevice(s, BlkOptions.defaults(DISK).withPacked(false).withQueues(2).withReadOnly(true)).features())
                .isEqualTo(base | VirtioFeatures.bit(F_MQ) | VirtioFeatures.bit(F_RO));
        assertThat(new VirtioBlkDevice(s).deviceId()).isEqualTo(2);
    }

    @Test
    void configMatchesTheOptions() {
        BlkOptions o = BlkOptions.defaults(DISK - 4096).withQueues(2).withSegments(65536, 100).withBlkSize(4096)
                .withTopology(new BlkOptions.Topology(3, 1, 8, 64)).withLimits(new BlockLimits(true, 1000, 3, 8, true, 2000, 4, true));
        start(o, BlkDriver.features(false));
        ByteBuffer c = ByteBuffer.wrap(config(0, 96)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(c.getLong(0)).as("capacity").isEqualTo((DISK - 4096) / 512);
        assertThat(c.getInt(8)).as("size_max").isEqualTo(65536);
        assertThat(c.getInt(12)).as("seg_max").isEqualTo(100);
        assertThat(c.getInt(16)).as("geometry").isZero();
        assertThat(c.getInt(20)).as("blk_size").isEqualTo(4096);
        assertThat(c.get(24)).as("physical_block_exp").isEqualTo((byte) 3);
        assertThat(c.get(25)).as("alignment_offset").isEqualTo((byte) 1);
        assertThat(c.getShort(26)).as("min_io_size").isEqualTo((short) 8);
        assertThat(c.getInt(28)).as("opt_io_size").isEqualTo(64);
        assertThat(c.get(32)).as("writeback").isEqualTo((byte) 1);
        assertThat(c.get(33)).as("unused0 [DEV-BLK-004]").isZero();
        assertThat(c.getShort(34)).as("num_queues").isEqualTo((short) 2);
        assertThat(new int[]{c.getInt(36), c.getInt(40), c.getInt(44)}).as("discard limits").containsExactly(1000, 3, 8);
        assertThat(new int[]{c.getInt(48), c.getInt(52)}).as("write zeroes limits").containsExactly(2000, 4);
        assertThat(c.get(56)).as("write_zeroes_may_unmap").isEqualTo((byte) 1);
        for (int i = 57; i < 96; i++) assertThat(c.get(i)).as("byte %d (unused1, secure erase, zoned)", i).isZero();
        // The capacity limits the disk even though the store is larger.
        assertThat(blk.submit(0, Req.in((DISK - 4096) / 512, 512)).status()).isEqualTo(IOERR);
    }

    @Test
    void writebackTogglesWithConfigWce() {
        start();
        assertThat(device.engine().writeThrough()).as("FLUSH negotiated: writeback").isFalse();
        assertThat(blk.harness.writeConfig(32, new byte[]{0})).isTrue();
        assertThat(config(32, 1)).containsExactly(0);
        assertThat(device.engine().writeThrough()).isTrue();
        assertThat(blk.harness.writeConfig(32, new byte[]{1})).isTrue();
        assertThat(config(32, 1)).containsExactly(1);
        assertThat(device.engine().writeThrough()).isFalse();
        assertThat(blk.harness.writeConfig(32, new byte[]{2})).isFalse();
    }

    @Test
    void everyOtherConfigFieldIsReadOnly() {
        start();
        for (int offset : new int[]{0, 8, 12, 20, 33, 34, 36, 56}) {
            assertThat(blk.harness.writeConfig(offset, new byte[]{1})).as("offset %d", offset).isFalse();
        }
        assertThat(ByteBuffer.wrap(config(0, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong()).isEqualTo(SECTORS);
    }

    @Test
    void writebackIsReadOnlyWithoutConfigWce() {
        start(BlkOptions.defaults(DISK), BlkDriver.features(false) & ~VirtioFeatures.bit(F_CONFIG_WCE));
        assertThat(blk.harness.writeConfig(32, new byte[]{0})).isFalse();
        assertThat(config(32, 1)).containsExactly(1);
        assertThat(device.engine().writeThrough()).isFalse();
    }

    /**
     * Batched publishing (the SDK's, for a device whose submit never blocks) only where no request can wait on the
     * disk: a memory store, or any store behind I/O threads; never a file served in place, whose flush waits.
     */
    @Test
    void submitsWithoutBlockingOnlyWhereNoRequestWaitsOnADisk(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        assertThat(new VirtioBlkDevice(new MemoryBlockStore(1 << 20, false)).submitsWithoutBlocking()).isTrue();
        java.nio.file.Path image = dir.resolve("disk.img");
        java.nio.file.Files.write(image, new byte[1 << 20]);
        try (FileBlockStore file = FileBlockStore.open(image, false)) {
            VirtioBlkDevice inPlace = new VirtioBlkDevice(file);
            assertThat(inPlace.submitsWithoutBlocking()).isFalse();
            assertThat(inPlace.useIoThreads(1).submitsWithoutBlocking()).isTrue();
        }
    }
}
