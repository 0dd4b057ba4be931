/**
 * The reference virtio-blk backend: a block engine (backing store, request semantics, durability) kept apart from
 * the virtio transport that parses requests out of chains, so that a Xen-style blkback can reuse the engine.
 */
package dev.pvkit.backends.blk;
