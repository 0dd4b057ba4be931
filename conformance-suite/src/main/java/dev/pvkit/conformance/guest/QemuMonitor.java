package dev.pvkit.conformance.guest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * QEMU's machine protocol (QMP) on the monitor socket the launcher gives every QEMU: what a test asks of the virtual
 * hardware that no guest command and no vhost-user message can do, such as taking a network link down. One command at
 * a time; the asynchronous events QEMU sends in between are skipped.
 */
public final class QemuMonitor implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;

    private QemuMonitor(SocketChannel channel) {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = Channels.newOutputStream(channel);
    }

    /** Connects to the monitor at {@code socket} and leaves capabilities negotiation, so commands can be sent. */
    static QemuMonitor connect(Path socket) {
        try {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            QemuMonitor m = new QemuMonitor(ch);
            try {
                JsonNode greeting = m.read();
                if (!greeting.has("QMP")) throw new IOException("not a QMP greeting: " + greeting);
                m.execute("qmp_capabilities", Map.of());
                return m;
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach QEMU's monitor at " + socket, e);
        }
    }

    /** Runs {@code command} with {@code arguments} and returns its {@code return} value; QEMU's error is thrown. */
    public JsonNode execute(String command, Map<String, ?> arguments) {
        ObjectNode request = JSON.createObjectNode().put("execute", command);
        if (!arguments.isEmpty()) request.set("arguments", JSON.valueToTree(arguments));
        try {
            out.write((JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                JsonNode answer = read();
                if (answer.has("return")) return answer.get("return");
                if (answer.has("error")) {
                    throw new IllegalStateException("QEMU refused " + command + ": " + answer.get("error").path("desc").asText());
                }
                // anything else is an event: not an answer
            }
        } catch (IOException e) {
            throw new UncheckedIOException("QEMU's monitor failed during " + command, e);
        }
    }

    /**
     * Takes the link of network client {@code name} (a {@code -netdev} id or a NIC's id) down or up: QEMU's virtio-net
     * flips the link bit of its configuration space's status and sends the driver a configuration-change interrupt.
     */
    public void setLink(String name, boolean up) {
        execute("set_link", Map.of("name", name, "up", up));
    }

    /**
     * QEMU's {@code announce-self}, one round: for each NIC, a RARP from its MAC on the network side and, for a
     * virtio-net driver that negotiated GUEST_ANNOUNCE and CTRL_VQ, ANNOUNCE in the status field with a
     * configuration-change interrupt, so that the guest announces itself (what follows a live migration). With a
     * vhost-user back-end QEMU asks the back-end to send the RARP (SEND_RARP) only for a driver without GUEST_ANNOUNCE.
     */
    public void announceSelf() {
        execute("announce-self", Map.of("initial", 50, "max", 550, "rounds", 1, "step", 100));
    }

    private JsonNode read() throws IOException {
        String line = in.readLine();
        if (line == null) throw new IOException("QEMU closed its monitor");
        return JSON.readTree(line);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // the process is going away anyway
        }
    }
}
