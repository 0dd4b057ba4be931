package dev.pvkit.sdk.xen;

/** What a back-end needs of Xen: its own domain id, XenStore, grant mappings and event channels. */
public interface XenPlatform extends AutoCloseable {

    int domid();

    XenStore store();

    GrantMapper grants();

    EventChannels events();

    @Override
    default void close() {
    }
}
