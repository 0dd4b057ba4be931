package dev.pvkit.conformance.guest;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

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
 * poweroff (and a panic, with {@code panic=-1}) into QEMU exiting.
 */
public final class QemuCommandLine {
    public static final List<String> DEFAULT_TEMPLATE = List.of(
            "-machine", "q35", "-accel", "@ACCEL@", "-cpu", "@CPU@", "-m", "@MEMORY@", "-smp", "@CPUS@",
            "-object", "memory-backend-memfd,id=mem,size=@MEMORY@,share=on", "-numa", "node,memdev=mem",
            "-kernel", "@KERNEL@", "-initrd", "@INITRD@", "-append", "@APPEND@",
            "-nodefaults", "-display", "none", "-no-reboot",
            "-chardev", "file,id=pvkit-console,path=@CONSOLE_LOG@", "-serial", "chardev:pvkit-console",
            "@AGENT@", "@DEVICES@");

    private QemuCommandLine() {
    }

    /** Splits a template given as one string at white space (no quoting; arguments never need spaces). */
    public static List<String> parseTemplate(String template) {
        String t = template.strip();
        return t.isEmpty() ? List.of() : Arrays.asList(t.split("\\s+"));
    }

    /** The full command: binary, expanded template, then the extra arguments. */
    public static List<String> build(QemuOptions o, Accelerator resolved, Path consoleLog, Path agentSocket) {
        List<String> devices = new ArrayList<>();
        for (int i = 0; i < o.devices.size(); i++) devices.addAll(o.devices.get(i).qemuArgs("vhu" + i));
        List<String> append = new ArrayList<>(List.of("console=ttyS0", "panic=-1", "quiet",
                "pvkit.agent=" + o.agentChannel.guestTty()));
        append.addAll(o.kernelArgs);
        Map<String, String> inline = Map.of(
                "@ACCEL@", resolved.qemuName(),
                // KVM can pass the host CPU through; under TCG "max" enables every feature QEMU can emulate.
                "@CPU@", resolved == Accelerator.KVM ? "host" : "max",
                "@MEMORY@", o.memoryMiB + "M",
                "@CPUS@", Integer.toString(o.cpus),
                "@KERNEL@", o.image.kernel().toString(),
                "@INITRD@", o.image.initrd().toString(),
                "@APPEND@", String.join(" ", append),
                "@CONSOLE_LOG@", consoleLog.toString(),
                "@AGENT_SOCKET@", agentSocket.toString());
        List<String> cmd = new ArrayList<>();
        cmd.add(o.qemuBinary.toString());
        for (String arg : o.template) {
            switch (arg) {
                case "@DEVICES@" -> cmd.addAll(devices);
                case "@AGENT@" -> cmd.addAll(o.agentChannel.qemuArgs(agentSocket));
                default -> {
                    String a = arg;
                    for (Map.Entry<String, String> e : inline.entrySet()) a = a.replace(e.getKey(), e.getValue());
                    cmd.add(a);
                }
            }
        }
        cmd.addAll(o.extraArgs);
        return cmd;
    }
}
