package dev.pvkit.sdk.vhostuser;

/**
 * What a request's handler hands back to the session: the reply to write for it, if the request has one of its own,
 * and the summary {@code BackendObserver.requestHandled} publishes. Handlers never write to the channel: the session
 * alone answers, so every request is answered in the same order and REPLY_ACK's acknowledgement, which the session
 * adds, can never come on top of a reply a handler already sent.
 */
sealed interface Outcome {

    /** The request's own reply, or null; present exactly when {@link FrontendRequest#hasReply} says so. */
    Reply reply();

    /** Acted on; {@code summary} is in {@link Summary}'s key=value form. */
    record Handled(Reply reply, String summary) implements Outcome {
    }

    /**
     * Refused, but answered with the request's own reply rather than a failure status (GET_CONFIG's empty reply): the
     * session logs {@code why} as a rejection answered with {@code answer}, sends the reply, and publishes nothing as
     * handled.
     */
    record Refused(ProtocolViolation why, String answer, Reply reply) implements Outcome {
    }

    /** A reply body. */
    sealed interface Reply {
    }

    /** An 8-byte reply: a value, a bit set or a status. */
    record U64(long value) implements Reply {
    }

    /** A reply body with, when {@code fd >= 0}, one descriptor the session closes once it is sent (or not sent). */
    record Body(byte[] bytes, int fd) implements Reply {
    }

    static Outcome handled(String summary) {
        return new Handled(null, summary);
    }

    static Outcome replied(long value, String summary) {
        return new Handled(new U64(value), summary);
    }

    static Outcome replied(byte[] body, String summary) {
        return new Handled(new Body(body, -1), summary);
    }

    /** A reply passing {@code fd} to the front-end; the session owns {@code fd} from here on. */
    static Outcome repliedWithFd(byte[] body, int fd, String summary) {
        return new Handled(new Body(body, fd), summary);
    }

    static Outcome refused(ProtocolViolation why, String answer, byte[] body) {
        return new Refused(why, answer, new Body(body, -1));
    }
}
