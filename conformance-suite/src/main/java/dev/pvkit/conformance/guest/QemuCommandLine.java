package dev.pvkit.conformance.guest;

import org.apache.commons.text.StringTokenizer;
import org.apache.commons.text.matcher.StringMatcherFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Expands an argument template into QEMU's command line. The built-in {@link #DEFAULT_TEMPLATE} is itself a
 * template, so a user's template works exactly like it. Placeholders:
 * <ul>
 *   <li>inside an argument: {@code @ACCEL@ @CPU@ @MEMORY@} (e.g. {@code 256M}) {@code @CPUS@ @KERNEL@ @INITRD@
 *       @APPEND@ @CONSOLE_LOG@ @AGENT_SOCKET@};</li>
 *   <li>as a whole argument, replaced by several: {@code @DEVICES@} (every vhost-user device's chardev and
 *       device) and {@code @AGENT@} (the agent channel).</li>
 * </ul>
 * Guest RAM is a shared memfd, because a vhost-user back-end must map it; {@code -no-reboot} turns the guest's
 * poweroff (and a panic, with {@code panic=-1}) into QEMU exiting. {@code isa-debug-exit} at I/O port
 * {@value #EXIT_PORT} lets the guest end QEMU with a status of its own: writing {@code v} there makes QEMU exit
 * with {@code (v << 1) | 1} (see {@link QemuExit}; the agent's {@code EXIT} command).
 *
 * <p>Without a guest image ({@link QemuOptions#firmwareBoot()}) the template must not use {@code @KERNEL@
 * @INITRD@ @APPEND@ @AGENT@}.
 */
public final class QemuCommandLine {
    public static final List<String> DEFAULT_TEMPLATE = List.of(
            "-machine", "q35", "-accel", "@ACCEL@", "-cpu", "@CPU@", "-m", "@MEMORY@", "-smp", "@CPUS@",
            "-object", "memory-backend-memfd,id=mem,size=@MEMORY@,share=on", "-numa", "node,memdev=mem",
            "-kernel", "@KERNEL@", "-initrd", "@INITRD@", "-append", "@APPEND@",
            "-nodefaults", "-display", "none", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-chardev", "file,id=pvkit-console,path=@CONSOLE_LOG@", "-serial", "chardev:pvkit-console",
            "@AGENT@", "@DEVICES@");
    /** The I/O port of the default template's {@code isa-debug-exit} device. */
    public static final int EXIT_PORT = 0xf4;

    /** Every placeholder a template may use. */
    public static final Set<String> PLACEHOLDERS = Set.of("@ACCEL@", "@CPU@", "@MEMORY@", "@CPUS@", "@KERNEL@",
            "@INITRD@", "@APPEND@", "@CONSOLE_LOG@", "@AGENT_SOCKET@", "@AGENT@", "@DEVICES@");
    private static final Pattern PLACEHOLDER = Pattern.compile("@[A-Z_]+@");
    private static final List<String> GUEST_PLACEHOLDERS = List.of("@KERNEL@", "@INITRD@", "@APPEND@", "@AGENT_SOCKET@");

    private QemuCommandLine() {
    }

    /**
     * A user's template, split and checked: quoting, known placeholders only, and the whole-argument placeholders a
     * run needs ({@code @DEVICES@}; {@code @AGENT@} too unless passive).
     *
     * @throws IllegalArgumentException whose message follows the option's name: {@code ": unknown placeholder ..."},
     *                                  {@code " must contain @DEVICES@ ..."}
     */
    public static List<String> checkedTemplate(String text, boolean passive) {
        String quoting = quotingProblem(text);
        if (quoting != null) {
            throw new IllegalArgumentException(": " + quoting
                    + " (quote a whole argument with spaces, as \"file=/a b.img,format=raw\" or 'a b')");
        }
        List<String> t = parseTemplate(text);
        if (t.isEmpty()) throw new IllegalArgumentException(" is empty");
        List<String> unknown = unknownPlaceholders(t);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(": unknown placeholder" + (unknown.size() == 1 ? " " : "s ")
                    + String.join(", ", unknown) + " (known: " + String.join(" ", new java.util.TreeSet<>(PLACEHOLDERS)) + ")");
        }
        for (String needed : passive ? List.of("@DEVICES@") : List.of("@AGENT@", "@DEVICES@")) {
            if (!t.contains(needed)) {
                throw new IllegalArgumentException(" must contain " + needed + " as a whole argument ("
                        + (needed.equals("@AGENT@") ? "the agent channel" : "the PVKit disk") + ")");
            }
        }
        return t;
    }

    /**
     * Splits a template given as one string into arguments: at white space, except inside single or double quotes
     * around a whole argument, which are removed ({@code -append "console=ttyS0 quiet"} gives two arguments).
     * Empty arguments are dropped. A quote that does not open or close a whole argument
     * ({@code file="/a b.img",format=raw}), or one left open, is refused rather than guessed at: quote the whole
     * argument instead ({@code "file=/a b.img,format=raw"}).
     */
    public static List<String> parseTemplate(String template) {
        String problem = quotingProblem(template);
        if (problem != null) throw new IllegalArgumentException(problem + " in: " + template);
        StringTokenizer words = new StringTokenizer(template, StringMatcherFactory.INSTANCE.splitMatcher(),
                StringMatcherFactory.INSTANCE.quoteMatcher());
        return List.copyOf(words.getTokenList());
    }

    /** Why the quotes of {@code s} are not whole-argument quotes, or null when they are ({@link #parseTemplate} refuses those). */
    public static String quotingProblem(String s) {
        char open = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (open == 0 && (c == '\'' || c == '"')) {
                if (i > 0 && !Character.isWhitespace(s.charAt(i - 1))) return "a quote inside an argument";
                open = c;
            } else if (c == open) {
                if (i + 1 < s.length() && !Character.isWhitespace(s.charAt(i + 1))) return "a quote inside an argument";
                open = 0;
            }
        }
        return open != 0 ? "an unbalanced quote" : null;
    }

    /** Words of {@code template} that look like placeholders but are none of {@link #PLACEHOLDERS} (typos). */
    public static List<String> unknownPlaceholders(List<String> template) {
        List<String> unknown = new ArrayList<>();
        for (String arg : template) {
            Matcher m = PLACEHOLDER.matcher(arg);
            while (m.find()) if (!PLACEHOLDERS.contains(m.group()) && !unknown.contains(m.group())) unknown.add(m.group());
        }
        return unknown;
    }

    /**
     * The full command: binary, expanded template, the transport trace's arguments (when
     * {@link QemuOptions#transportTrace} is on; its FIFO sits next to {@code consoleLog}), then the extra arguments.
     */
    public static List<String> build(QemuOptions o, Accelerator resolved, Path consoleLog, Path agentSocket) {
        List<String> devices = new ArrayList<>();
        for (int i = 0; i < o.devices.size(); i++) devices.addAll(o.devices.get(i).qemuArgs(VhostUserDevice.id(i)));
        Map<String, String> inline = new LinkedHashMap<>();
        inline.put("@ACCEL@", resolved.qemuName());
        // KVM can pass the host CPU through; under TCG "max" enables every feature QEMU can emulate.
        inline.put("@CPU@", resolved == Accelerator.KVM ? "host" : "max");
        inline.put("@MEMORY@", o.memoryMiB + "M");
        inline.put("@CPUS@", Integer.toString(o.cpus));
        inline.put("@CONSOLE_LOG@", consoleLog.toString());
        if (o.image != null) {
            List<String> append = new ArrayList<>(List.of("console=ttyS0", "panic=-1", "quiet",
                    "pvkit.agent=" + o.agentChannel.guestTty()));
            append.addAll(o.kernelArgs);
            inline.put("@KERNEL@", o.image.kernel().toString());
            inline.put("@INITRD@", o.image.initrd().toString());
            inline.put("@APPEND@", String.join(" ", append));
        }
        if (o.agent) inline.put("@AGENT_SOCKET@", agentSocket.toString());
        List<String> cmd = new ArrayList<>();
        cmd.add(o.qemuBinary.toString());
        for (String arg : o.template) {
            switch (arg) {
                case "@DEVICES@" -> cmd.addAll(devices);
                case "@AGENT@" -> {
                    if (!o.agent) throw new IllegalStateException("@AGENT@ in the template of a run without an agent");
                    cmd.addAll(o.agentChannel.qemuArgs(agentSocket));
                }
                default -> {
                    String a = arg;
                    for (Map.Entry<String, String> e : inline.entrySet()) a = a.replace(e.getKey(), e.getValue());
                    for (String p : GUEST_PLACEHOLDERS) {
                        if (a.contains(p)) throw new IllegalStateException(p + " in the template of a run without a guest image or agent: " + arg);
                    }
                    cmd.add(a);
                }
            }
        }
        if (o.transportTrace != null) {
            cmd.addAll(TransportTraceReader.qemuArgs(consoleLog.resolveSibling(TransportTraceReader.FIFO)));
        }
        cmd.addAll(o.extraArgs);
        return cmd;
    }
}
