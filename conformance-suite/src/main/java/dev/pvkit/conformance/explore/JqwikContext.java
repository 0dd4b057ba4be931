package dev.pvkit.conformance.explore;

import net.jqwik.engine.execution.lifecycle.CurrentTestDescriptor;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.AbstractTestDescriptor;

import java.util.function.Supplier;

/**
 * Runs jqwik's generators and shrinkers outside a test. jqwik memoizes generators in a store that belongs to the
 * test being run and refuses to work without one; a certification is not a JUnit test, so it runs them under a
 * descriptor of its own, as jqwik's own {@code Arbitrary.sample()} does. This is the one place that leans on a jqwik
 * engine class ({@link CurrentTestDescriptor}); {@code ExplorerTest} fails if an upgrade changes it.
 */
final class JqwikContext {
    private static final TestDescriptor EXPLORATION = new AbstractTestDescriptor(UniqueId.root("pvkit", "exploration"), "PVKit exploration") {
        @Override
        public Type getType() {
            return Type.CONTAINER;
        }
    };

    private JqwikContext() {
    }

    static <T> T run(Supplier<T> work) {
        return CurrentTestDescriptor.isEmpty() ? CurrentTestDescriptor.runWithDescriptor(EXPLORATION, work) : work.get();
    }
}
