/**
 * PVKit's Java Xen front-ends, running in an {@link dev.pvkit.sdk.xen.emulated.EmulatedDomain}: what the tests
 * drive a back-end with, and what the conformance suite's deliberately wrong front-ends are built from.
 */
package dev.pvkit.sdk.xen.frontend;
