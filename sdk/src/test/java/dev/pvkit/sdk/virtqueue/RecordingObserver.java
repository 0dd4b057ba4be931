package dev.pvkit.sdk.virtqueue;


import java.util.ArrayList;
import java.util.List;

/** Keeps what a queue reported, for assertions. */
final class RecordingObserver implements QueueObserver {
    final List<ChainError> rejected = new ArrayList<>();
    final List<Reaction> reactions = new ArrayList<>();
    final List<Chain> chains = new ArrayList<>();
    final List<Boolean> notifications = new ArrayList<>();
    final List<String> decisions = new ArrayList<>();
    final List<long[]> used = new ArrayList<>();
    final List<List<Integer>> availMoves = new ArrayList<>();
    final List<Integer> published = new ArrayList<>();

    @Override
    public void availIndexRead(int queue, int previous, int current) {
        availMoves.add(List.of(previous, current));
    }

    @Override
    public void usedPublished(int queue, int usedIndex) {
        published.add(usedIndex);
    }

    @Override
    public void chainRead(int queue, Chain chain) {
        chains.add(chain);
    }

    @Override
    public void chainRejected(int queue, ChainError error, Reaction reaction) {
        rejected.add(error);
        reactions.add(reaction);
    }

    @Override
    public void usedWritten(int queue, int id, long length) {
        used.add(new long[]{id, length});
    }

    @Override
    public void notificationDecided(int queue, boolean notify, String reason) {
        notifications.add(notify);
        decisions.add(notify + " " + reason);
    }
}
