package dev.pvkit.examples.gate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.pvkit.conformance.cli.Pvkit;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The CI files a vendor copies call commands and options that exist: every {@code pvkit} command line in the GitHub
 * Actions workflow and the Kubernetes Jobs is parsed by the real {@code pvkit} command line parser (an unknown
 * command, option or bad value fails here, not in the vendor's nightly run), and every parameter the POM gives the
 * plugin is one the plugin's descriptor declares.
 */
class CiFilesTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** The pvkit program however a file calls it: ./pvkit, $RUNNER_TEMP/pvkit/pvkit, /opt/pvkit/pvkit. */
    private static final Pattern PVKIT = Pattern.compile("(?:^|\\s)\\S*pvkit/pvkit\\s+(.*)|^\\./pvkit\\s+(.*)");

    @Test
    void theWorkflowShardsTheMatrixAndMergesItWithRealCommands() throws Exception {
        JsonNode wf = YAML.readTree(Path.of(".github/workflows/pvkit.yml").toFile());
        List<List<String>> commands = new ArrayList<>();
        for (JsonNode job : iterable(wf.get("jobs"))) {
            for (JsonNode step : iterable(job.path("steps"))) {
                if (step.has("run")) commands.addAll(pvkitCommands(step.get("run").asText()));
            }
        }
        assertThat(commands).extracting(c -> c.get(0) + (c.get(0).equals("report") ? " " + c.get(1) : ""))
                .containsExactlyInAnyOrder("certify", "report merge");
        for (List<String> c : commands) parses(c);
        int shards = wf.at("/jobs/shard/strategy/matrix/shard").size();
        List<String> certify = commands.stream().filter(c -> c.get(0).equals("certify")).findFirst().orElseThrow();
        assertThat(certify).contains("--matrix", "--shard").contains("1/" + shards);
        List<String> merge = commands.stream().filter(c -> c.get(0).equals("report")).findFirst().orElseThrow();
        assertThat(merge.stream().filter(a -> a.startsWith("shards/shard-"))).as("the merge names every shard").hasSize(shards);
        assertThat(wf.at("/jobs/merge/needs").asText()).isEqualTo("shard");
    }

    @Test
    void theKubernetesJobsRunEveryIndexAndMergeEveryShard() throws Exception {
        JsonNode job = YAML.readTree(Path.of("k8s/certify-job.yaml").toFile());
        assertThat(job.at("/spec/completionMode").asText()).isEqualTo("Indexed");
        int completions = job.at("/spec/completions").asInt();
        List<String> certify = containerArgs(job);
        parses(certify);
        assertThat(certify).contains("--shard").contains("auto/" + completions);
        List<String> merge = containerArgs(YAML.readTree(Path.of("k8s/merge-job.yaml").toFile()));
        parses(merge);
        assertThat(merge.subList(0, 2)).containsExactly("report", "merge");
        Set<String> merged = new HashSet<>(merge);
        for (int i = 0; i < completions; i++) assertThat(merged).as("shard %d merged", i).contains("/reports/shard-" + i);
    }

    @Test
    void thePomGivesThePluginOnlyParametersItHas() throws Exception {
        Set<String> declared = new HashSet<>();
        try (InputStream in = CiFilesTest.class.getResourceAsStream("/META-INF/maven/plugin.xml")) {
            NodeList names = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in).getElementsByTagName("parameter");
            for (int i = 0; i < names.getLength(); i++) declared.add(child((Element) names.item(i), "name"));
        }
        Element configuration = (Element) DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile())
                .getElementsByTagName("configuration").item(0);
        List<String> used = new ArrayList<>();
        for (Node n = configuration.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) used.add(e.getTagName());
        }
        assertThat(used).isNotEmpty();
        assertThat(declared).containsAll(used);
    }

    @Test
    void theMatrixTheJobsShareIsOnePvkitAccepts() {
        assertThat(Path.of("pvkit-matrix.yaml")).isRegularFile();
        parses(List.of("certify", "--matrix", "pvkit-matrix.yaml", "--shard", "1/4"));
    }

    /** Parses {@code args} as pvkit would, without running anything: unknown commands, options and bad values throw. */
    private static void parses(List<String> args) {
        assertThatCode(() -> Pvkit.commandLine().parseArgs(args.toArray(String[]::new)))
                .as("pvkit %s", String.join(" ", args)).doesNotThrowAnyException();
    }

    /** Every pvkit command line in a {@code run:} script, split into arguments, with CI expressions filled in. */
    static List<List<String>> pvkitCommands(String script) {
        List<List<String>> out = new ArrayList<>();
        for (String line : script.split("\n")) {
            String l = line.strip().replace("${{ matrix.shard }}", "1");
            int or = l.indexOf(" || ");
            if (or >= 0) l = l.substring(0, or);
            Matcher m = PVKIT.matcher(l);
            if (!m.find()) continue;
            String rest = m.group(1) != null ? m.group(1) : m.group(2);
            out.add(List.of(rest.trim().split("\\s+")));
        }
        return out;
    }

    private static List<String> containerArgs(JsonNode job) {
        JsonNode c = job.at("/spec/template/spec/containers/0");
        assertThat(c.at("/command/0").asText()).endsWith("pvkit/pvkit");
        List<String> args = new ArrayList<>();
        // Kubernetes expands $(JOB_COMPLETION_INDEX) in args; any index does here.
        for (JsonNode a : iterable(c.get("args"))) args.add(a.asText().replace("$(JOB_COMPLETION_INDEX)", "0"));
        return args;
    }

    private static Iterable<JsonNode> iterable(JsonNode n) {
        return n == null ? List.of() : n::elements;
    }

    private static String child(Element e, String name) {
        NodeList l = e.getElementsByTagName(name);
        return l.getLength() == 0 ? null : l.item(0).getTextContent().trim();
    }
}
