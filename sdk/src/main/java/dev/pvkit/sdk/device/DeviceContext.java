package dev.pvkit.sdk.device;

/** What the SDK offers a device while it is served. */
public interface DeviceContext {

    /**
     * Tells the driver the configuration space changed (vhost-user: BACKEND_CONFIG_CHANGE_MSG). Returns false when
     * the front-end gave no way to say so (no BACKEND_REQ channel or CONFIG not negotiated).
     */
    boolean announceConfigChange();
}
