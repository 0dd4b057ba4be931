package dev.pvkit.conformance.guest;

/** The agent answered ERR, went silent past the time limit, or its channel closed. */
public class AgentException extends RuntimeException {
    private final transient AgentReply reply;

    public AgentException(String message, AgentReply reply) {
        super(message);
        this.reply = reply;
    }

    public AgentException(String message, Throwable cause) {
        super(message, cause);
        this.reply = null;
    }

    /** The ERR reply, or null when there was no reply at all. */
    public AgentReply reply() {
        return reply;
    }
}
