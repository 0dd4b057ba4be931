/** Live guests: the default guest image, the QEMU launcher and the guest agent protocol. */
package dev.pvkit.conformance.guest;
