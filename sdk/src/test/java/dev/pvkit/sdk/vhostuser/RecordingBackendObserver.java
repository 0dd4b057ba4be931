package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.observe.QueueEventFd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.awaitility.Awaitility.await;

/** Every back-end event as one line of text, in order: what a test compares with the steps it expected. */
final class RecordingBackendObserver implements BackendObserver {
    private final List<String> events = new ArrayList<>();

    synchronized List<String> events() {
        return List.copyOf(events);
    }

    /** Only the lines starting with {@code prefix}. */
    List<String> events(String prefix) {
        return events().stream().filter(e -> e.startsWith(prefix)).toList();
    }

    /** Waits (bounded) until the session ended, so that every event of it is in. */
    List<String> awaitDisconnected(Duration timeout) {
        await("the session's 'disconnected' event").atMost(timeout).pollInSameThread().pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(5)).until(() -> !events("disconnected").isEmpty());
        return events();
    }

    private synchronized void add(String e) {
        events.add(e);
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    @Override public void connected() { add("connected"); }
    @Override public void featuresOffered(long f) { add("featuresOffered " + hex(f)); }
    @Override public void featuresAcknowledged(long f) { add("featuresAcknowledged " + hex(f)); }
    @Override public void protocolFeaturesOffered(long f) { add("protocolFeaturesOffered " + hex(f)); }
    @Override public void protocolFeaturesAcknowledged(long f) { add("protocolFeaturesAcknowledged " + hex(f)); }
    @Override public void statusWritten(int s) { add("statusWritten " + hex(s)); }
    @Override public void configRead(int offset, int size) { add("configRead " + offset + " " + size); }

    @Override
    public void configWritten(int offset, byte[] data, boolean accepted) {
        add("configWritten " + offset + " " + java.util.HexFormat.of().formatHex(data) + " " + accepted);
    }

    @Override
    public void memoryMapped(long[][] regions) {
        add("memoryMapped " + java.util.Arrays.stream(regions).map(r -> hex(r[0]) + "+" + hex(r[1])).collect(Collectors.joining(" ")));
    }

    @Override public void queueSize(int q, int size) { add("queueSize " + q + " " + size); }

    @Override
    public void queueAddressesSet(int q, long desc, long driver, long device) {
        add("queueAddressesSet " + q + " " + LongStream.of(desc, driver, device).mapToObj(RecordingBackendObserver::hex).collect(Collectors.joining(" ")));
    }

    @Override
    public void queueAddresses(int q, long desc, long driver, long device) {
        add("queueAddresses " + q + " " + LongStream.of(desc, driver, device).mapToObj(RecordingBackendObserver::hex).collect(Collectors.joining(" ")));
    }

    @Override public void queueBase(int q, long base) { add("queueBase " + q + " " + base); }
    @Override public void queueEventFdSet(int q, QueueEventFd which, boolean present) { add("queueEventFdSet " + q + " " + which + " " + present); }
    @Override public void queueEnabled(int q, boolean on) { add("queueEnabled " + q + " " + on); }
    @Override public void queueStarted(int q) { add("queueStarted " + q); }
    @Override public void queueStopped(int q, long base) { add("queueStopped " + q + " " + base); }
    @Override public void deviceReset(String cause) { add("deviceReset " + cause); }

    @Override
    public void requestHandled(String request, String summary) {
        add(summary.isEmpty() ? "handled " + request : "handled " + request + " " + summary);
    }

    @Override
    public void messageRejected(String request, String rule, String detail, String answer) {
        add("rejected " + request + " [" + rule + "] -> " + answer);
    }

    @Override public void disconnected(String why) { add("disconnected " + why); }
}
