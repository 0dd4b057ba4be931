package dev.pvkit.conformance.guest;

import java.io.Closeable;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Follows a serial console log while the machine is still writing it and hands on the text after each line's step
 * marker. A console carries whatever the guests print: bytes that are not UTF-8, and a multi-byte character cut in two
 * by the moment the file is read. The log is therefore decoded as ISO 8859-1, which maps every byte to a character and
 * can never fail, so nothing a guest prints can stop the rig; the markers themselves are ASCII.
 */
final class ConsoleSteps implements Closeable {
    private final Reader console;
    private final String marker;
    private final char[] chunk = new char[8192];
    /** A line longer than this keeps only its end: a guest printing without line breaks must not fill the heap. */
    static final int MAX_LINE = 64 * 1024;
    /** The end of the log that has no line break yet: the machine may still be writing that line. */
    private final StringBuilder unfinished = new StringBuilder();

    ConsoleSteps(Path console, String marker) throws IOException {
        this.console = Files.newBufferedReader(console, StandardCharsets.ISO_8859_1);
        this.marker = marker;
    }

    /** Hands each step whose line was finished since the last call to {@code step}, in order. */
    void drain(Consumer<String> step) throws IOException {
        for (int n; (n = console.read(chunk)) > 0; ) {
            int start = 0;
            for (int i = 0; i < n; i++) {
                if (chunk[i] != '\n') continue;
                unfinished.append(chunk, start, i - start);
                handOn(step);
                start = i + 1;
            }
            unfinished.append(chunk, start, n - start);
            if (unfinished.length() > MAX_LINE) unfinished.delete(0, unfinished.length() - MAX_LINE);
        }
    }

    /** Characters held of the line still open. */
    int held() {
        return unfinished.length();
    }

    /** The machine has stopped: its last line counts even without a line break. */
    void finish(Consumer<String> step) throws IOException {
        drain(step);
        handOn(step);
    }

    private void handOn(Consumer<String> step) {
        int at = unfinished.indexOf(marker);
        if (at >= 0) step.accept(unfinished.substring(at + marker.length()).trim());
        unfinished.setLength(0);
    }

    @Override
    public void close() throws IOException {
        console.close();
    }
}
