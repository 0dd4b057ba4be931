package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.observe.BackendObserver;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records what tests about refused messages assert on: each rejection as {@code "REQUEST rule -> answer"}, the
 * requirement each one cites as {@code "rule: REQUIREMENT"} (null where none), and each session's end with its reason. Thread-safe: the back-end reports from its own threads.
 */
final class RejectionRecorder implements BackendObserver {
    final List<String> rejected = new CopyOnWriteArrayList<>();
    final List<String> requirements = new CopyOnWriteArrayList<>();
    final List<String> ended = new CopyOnWriteArrayList<>();

    /** The back-end calls this form; the default would pass the rest on to the four-argument one, as done here. */
    @Override
    public void messageRejected(String request, String rule, String requirement, String detail, String answer) {
        requirements.add(rule + ": " + requirement);
        messageRejected(request, rule, detail, answer);
    }

    @Override
    public void messageRejected(String request, String rule, String detail, String answer) {
        rejected.add(request + " " + rule + " -> " + answer);
    }

    @Override
    public void disconnected(String reason) {
        ended.add(reason);
    }
}
