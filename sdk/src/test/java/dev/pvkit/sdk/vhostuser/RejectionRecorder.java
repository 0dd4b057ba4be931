package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.observe.BackendObserver;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records what tests about refused messages assert on: each rejection as {@code "REQUEST rule -> answer"}, and
 * each session's end with its reason. Thread-safe: the back-end reports from its own threads.
 */
final class RejectionRecorder implements BackendObserver {
    final List<String> rejected = new CopyOnWriteArrayList<>();
    final List<String> ended = new CopyOnWriteArrayList<>();

    @Override
    public void messageRejected(String request, String rule, String detail, String answer) {
        rejected.add(request + " " + rule + " -> " + answer);
    }

    @Override
    public void disconnected(String reason) {
        ended.add(reason);
    }
}
