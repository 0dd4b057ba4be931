/**
 * Generated device behaviour: what a PVKit device may legally do differently from one run to the next (the features
 * it offers, the order, timing and batching of its completions, the failures it reports, a capacity change, spurious
 * notifications), with a workload for the driver, searched with jqwik's generators and shrunk to the smallest case
 * that still breaks a driver. The package knows nothing of checks or guests: a {@link
 * dev.pvkit.conformance.explore.TryRunner} runs a case and judges it.
 */
package dev.pvkit.conformance.explore;
