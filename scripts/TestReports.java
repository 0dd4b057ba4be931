// Reads the JUnit XML reports that surefire and failsafe write (TEST-*.xml) and prints what failed, for a person to
// read. Run as a single-file source program (no build needed, only a JDK), by ./pvkit test and scripts/stress-tests:
//
//   java scripts/TestReports.java failed [--since FILE] [--max N] DIR...
//       the failed and errored test cases in the reports under DIR... (each a checkout or a module), one line each:
//       module: Class#method [failure|error]: the message's first lines, joined and cut to 160 characters. With
//       --since, only reports written after FILE was last modified count (older ones are left over from earlier
//       runs). With --max, at most N lines and a count of the rest. Prints nothing when none failed; exit status 0.
//   java scripts/TestReports.java table [--expect A,B,...] [--only-failing] ROUND_DIR...
//       one ROUND_DIR per run of the same tests (each holding that run's reports, at any depth): per test class the
//       runs, the runs with a failed or errored test case, and which methods failed how often, with the first
//       message. --expect lists classes (simple or full names) that must appear even with no report (0 runs: the
//       run crashed or never started them). --only-failing leaves out the classes that never failed.
//
// Kept free of any dependency and of python, which a bare Debian 12 lacks.

import java.io.File;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

public class TestReports {
    /** One failed or errored test case. */
    record Failure(String module, String className, String method, String kind, String message) {
        String simpleClass() {
            return className.substring(className.lastIndexOf('.') + 1);
        }
    }

    /** One report file: the class it covers, how many test cases ran, which failed. */
    record Suite(Path file, String module, String className, int tests, List<Failure> failures) {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) usage();
        List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
        switch (args[0]) {
            case "failed" -> failed(rest);
            case "table" -> table(rest);
            default -> usage();
        }
    }

    private static void usage() {
        System.err.println("usage: java TestReports.java failed [--since FILE] [--max N] DIR...\n"
                + "       java TestReports.java table [--expect A,B] [--only-failing] ROUND_DIR...");
        System.exit(2);
    }

    private static void failed(List<String> args) throws Exception {
        long since = Long.MIN_VALUE;
        int max = Integer.MAX_VALUE;
        List<Path> dirs = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            switch (args.get(i)) {
                case "--since" -> since = new File(args.get(++i)).lastModified();
                case "--max" -> max = Integer.parseInt(args.get(++i));
                default -> dirs.add(Path.of(args.get(i)));
            }
        }
        List<Failure> all = new ArrayList<>();
        for (Path dir : dirs) {
            for (Path f : reports(dir)) {
                if (Files.getLastModifiedTime(f).toMillis() < since) continue;
                all.addAll(read(f, dir).failures());
            }
        }
        int shown = 0;
        for (Failure f : all) {
            if (shown++ == max) {
                System.out.printf("  ... and %d more%n", all.size() - max);
                break;
            }
            System.out.printf("  %s: %s#%s [%s]: %s%n", f.module(), f.simpleClass(), f.method(), f.kind(), f.message());
        }
    }

    private static void table(List<String> args) throws Exception {
        List<String> expect = new ArrayList<>();
        boolean onlyFailing = false;
        List<Path> rounds = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            switch (args.get(i)) {
                case "--expect" -> expect.addAll(Arrays.stream(args.get(++i).split(",")).filter(s -> !s.isBlank()).toList());
                case "--only-failing" -> onlyFailing = true;
                default -> rounds.add(Path.of(args.get(i)));
            }
        }
        // class -> [runs, failed runs]; class -> method -> [count, first message]
        Map<String, int[]> runs = new TreeMap<>();
        Map<String, Map<String, Object[]>> methods = new TreeMap<>();
        for (Path round : rounds) {
            for (Path f : reports(round)) {
                Suite s = read(f, round);
                String name = s.className().substring(s.className().lastIndexOf('.') + 1);
                int[] r = runs.computeIfAbsent(name, k -> new int[2]);
                r[0]++;
                if (!s.failures().isEmpty()) r[1]++;
                for (Failure fl : s.failures()) {
                    Object[] m = methods.computeIfAbsent(name, k -> new LinkedHashMap<>())
                            .computeIfAbsent(fl.method(), k -> new Object[] {0, fl.kind() + ": " + fl.message()});
                    m[0] = (Integer) m[0] + 1;
                }
            }
        }
        for (String e : expect) runs.putIfAbsent(e.substring(e.lastIndexOf('.') + 1), new int[2]);

        int width = Math.max(5, runs.keySet().stream().mapToInt(String::length).max().orElse(5));
        String format = "%-" + width + "s  %4s  %6s  %s%n";
        System.out.printf(format, "class", "runs", "failed", "failing methods (times: first message)");
        int hidden = 0;
        for (Map.Entry<String, int[]> e : runs.entrySet()) {
            int[] r = e.getValue();
            if (onlyFailing && r[1] == 0 && r[0] > 0) {
                hidden++;
                continue;
            }
            Map<String, Object[]> ms = methods.getOrDefault(e.getKey(), Map.of());
            String note = r[0] == 0 ? "NO REPORT: never ran (build or test JVM failed before it?)" : "";
            List<String> lines = new ArrayList<>();
            for (Map.Entry<String, Object[]> m : ms.entrySet()) {
                lines.add(m.getKey() + " (" + m.getValue()[0] + "x: " + m.getValue()[1] + ")");
            }
            System.out.printf(format, e.getKey(), r[0], r[1], lines.isEmpty() ? note : lines.get(0));
            for (String l : lines.subList(Math.min(1, lines.size()), lines.size())) {
                System.out.printf(format, "", "", "", l);
            }
        }
        if (hidden > 0) System.out.printf("(%d more classes ran and never failed)%n", hidden);
    }

    /** Every TEST-*.xml under dir (.git left out), in a stable order. */
    private static List<Path> reports(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        List<Path> found = new ArrayList<>();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
                return d.getFileName() != null && d.getFileName().toString().equals(".git")
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                String n = f.getFileName().toString();
                if (n.startsWith("TEST-") && n.endsWith(".xml") && a.isRegularFile()) found.add(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        });
        found.sort(null);
        return found;
    }

    private static Suite read(Path file, Path base) throws Exception {
        // The module is the path from base to the directory holding target/ (".../sdk/target/surefire-reports/x").
        Path rel = base.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize());
        String module = ".";
        for (int i = rel.getNameCount() - 1; i >= 0; i--) {
            if (rel.getName(i).toString().equals("target")) {
                module = i > 0 ? rel.subpath(0, i).toString() : String.valueOf(base.toAbsolutePath().normalize().getFileName());
                break;
            }
        }
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        Element suite;
        try {
            suite = f.newDocumentBuilder().parse(file.toFile()).getDocumentElement();
        } catch (Exception e) {
            String cls = file.getFileName().toString().replaceFirst("^TEST-", "").replaceFirst("\\.xml$", "");
            return new Suite(file, module, cls, 0,
                    List.of(new Failure(module, cls, "(report)", "unreadable", firstLine(e.toString()))));
        }
        String className = suite.getAttribute("name");
        List<Failure> failures = new ArrayList<>();
        NodeList cases = suite.getElementsByTagName("testcase");
        for (int i = 0; i < cases.getLength(); i++) {
            Element c = (Element) cases.item(i);
            for (Node n = c.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (!(n instanceof Element e)) continue;
                String tag = e.getTagName();
                if (!tag.equals("failure") && !tag.equals("error")) continue;
                String cls = c.getAttribute("classname").isEmpty() ? className : c.getAttribute("classname");
                String method = c.getAttribute("name").isEmpty() ? "(class)" : c.getAttribute("name");
                String message = e.getAttribute("message").strip();
                if (message.isEmpty()) message = firstLine(e.getTextContent());
                if (message.isEmpty()) message = e.getAttribute("type");
                String type = e.getAttribute("type");
                if (tag.equals("error") && !type.isEmpty() && !message.startsWith(type)) {
                    message = type.substring(type.lastIndexOf('.') + 1) + ": " + message;
                }
                failures.add(new Failure(module, cls, method, tag, firstLine(message)));
            }
        }
        return new Suite(file, module, className, cases.getLength(), failures);
    }

    /** The message's first lines joined into one (AssertJ starts with a blank line and splits "expected" over several). */
    private static String firstLine(String s) {
        String line = String.join(" ", s.strip().lines().map(String::strip).filter(l -> !l.isEmpty()).limit(6).toList());
        return line.length() > 160 ? line.substring(0, 157) + "..." : line;
    }
}
