package dev.pvkit.sdk.xen;

/** Event channels from a back-end's side (event_channel_op BIND_INTERDOMAIN, SEND, CLOSE). */
public interface EventChannels {

    /**
     * Binds to the unbound port {@code remotePort} of domain {@code remoteDomid}. {@code onEvent} runs on the
     * platform's event thread, once per delivery; deliveries coalesce, and binding itself leaves one pending (spec
     * §9.7), so the handler looks at ring indices, never counts events.
     *
     * @throws XenException when the port is not unbound for this domain
     */
    EventChannel bindInterdomain(int remoteDomid, int remotePort, Runnable onEvent);

    interface EventChannel extends AutoCloseable {
        int localPort();

        /** SEND: raises the peer's pending bit. */
        void notifyPeer();

        /** CLOSE: the peer's end returns to unbound; no more events. */
        @Override
        void close();
    }
}
