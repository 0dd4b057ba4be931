package dev.pvkit.sdk.virtqueue;

/**
 * A chain that broke a {@link ChainRule}, with the evidence: where the walk was and what the offending
 * descriptor said.
 *
 * @param queue       queue index
 * @param rule        the rule broken
 * @param requirement the PVKit requirement id (format-specific)
 * @param head        the chain's head index (split) or first ring slot (packed)
 * @param descriptor  index of the offending descriptor in its table (ring or indirect table)
 * @param indirect    whether that table is an indirect table
 * @param address     the descriptor's addr
 * @param length      the descriptor's len (unsigned 32 bits)
 * @param flags       the descriptor's flags
 * @param detail      one line saying what was wrong
 */
public record ChainError(int queue, ChainRule rule, String requirement, int head, int descriptor, boolean indirect,
                         long address, long length, int flags, String detail) {

    @Override
    public String toString() {
        return String.format("queue %d: %s [%s] at %s descriptor %d of chain %d (addr 0x%x len %d flags 0x%x): %s",
                queue, rule, requirement, indirect ? "indirect" : "ring", descriptor, head, address, length, flags, detail);
    }
}
