package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The code explains itself by citing {@code docs/<file>.md#<heading>}: every such citation, in the
 * sources, scripts, README and the docs' own cross-links, must name a file of {@code docs/} and a
 * heading in it (GitHub's anchor rule), and no citation by section sign of the notes that are not
 * in the repository (the reference spec, its list of traps, the design notes) may come back.
 */
class DocCitationsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern CITATION = Pattern.compile("docs/([A-Za-z0-9_-]+\\.md)#([a-z0-9_-]+)");
    private static final Pattern DOC_LINK = Pattern.compile("\\]\\(([A-Za-z0-9_-]+\\.md)(?:#([a-z0-9_-]+))?\\)");
    private static final Pattern OUTSIDE = Pattern.compile("\\b(spec|trap|DESIGN(\\.md)?) §");

    @Test
    void everyCitationNamesAnExistingHeading() throws IOException {
        List<String> broken = new ArrayList<>();
        int count = 0;
        for (Path f : sourceFiles()) {
            String text = Files.readString(f);
            Matcher m = CITATION.matcher(text);
            while (m.find()) {
                count++;
                check(f, m.group(1), m.group(2), broken);
            }
            if (f.startsWith(ROOT.resolve("docs"))) {
                Matcher l = DOC_LINK.matcher(text);
                while (l.find()) check(f, l.group(1), l.group(2), broken);
            }
            Matcher o = OUTSIDE.matcher(text);
            if (o.find()) broken.add(ROOT.relativize(f) + ": cites a document outside the repository (\"" + o.group() + "\")");
        }
        assertTrue(count > 50, "only " + count + " citations found: is the scan looking in the right place (" + ROOT + ")?");
        assertEquals(List.of(), broken);
    }

    @Test
    void anchorsFollowGitHubsRule() {
        assertEquals("dit-block", anchor("DiT block"));
        assertEquals("positions-past-the-table", anchor("Positions past the table"));
        assertEquals("umt5", anchor("umT5"));
        assertEquals("flops", anchor("FLOPs"));
    }

    @Test
    void readmeNamesOnlyFilesThatExist() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        Matcher m = Pattern.compile("`([A-Za-z0-9_./-]+\\.md)`|\\]\\(([A-Za-z0-9_./-]+\\.md)(?:#[^)]*)?\\)").matcher(readme);
        List<String> missing = new ArrayList<>();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            if (!Files.isRegularFile(ROOT.resolve(name))) missing.add(name);
        }
        assertEquals(List.of(), missing);
        for (String doc : List.of("docs/model.md", "docs/sampler.md", "docs/numerics.md", "docs/kernels.md", "docs/architecture.md")) {
            assertTrue(readme.contains(doc), "README does not link " + doc);
        }
    }

    @Test
    void everyPackageSaysWhatLivesThere() throws IOException {
        List<String> missing = new ArrayList<>();
        try (Stream<Path> s = Files.walk(ROOT)) {
            for (Path dir : s.filter(Files::isDirectory).filter(d -> d.toString().contains("/src/main/java/")).toList()) {
                boolean hasJava;
                try (Stream<Path> f = Files.list(dir)) {
                    hasJava = f.anyMatch(p -> p.toString().endsWith(".java"));
                }
                if (hasJava && !Files.isRegularFile(dir.resolve("package-info.java"))) missing.add(ROOT.relativize(dir).toString());
            }
        }
        assertEquals(List.of(), missing);
    }

    private static void check(Path from, String file, String heading, List<String> broken) {
        Path doc = ROOT.resolve("docs").resolve(file);
        String where = ROOT.relativize(from) + ": docs/" + file + (heading == null ? "" : "#" + heading);
        if (!Files.isRegularFile(doc)) {
            broken.add(where + ": no such file");
        } else if (heading != null && !headings(doc).contains(heading)) {
            broken.add(where + ": no such heading");
        }
    }

    /** The anchors of a Markdown file's headings (outside code fences). */
    static Set<String> headings(Path doc) {
        Set<String> out = new HashSet<>();
        boolean fence = false;
        try {
            for (String line : Files.readAllLines(doc)) {
                if (line.startsWith("```")) fence = !fence;
                if (!fence && line.matches("#{1,6} .*")) out.add(anchor(line.replaceFirst("^#+ ", "")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** GitHub's rule: lower case, punctuation other than '-' and '_' dropped, spaces to '-'. */
    static String anchor(String heading) {
        return heading.trim().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }

    /** Java, OpenCL, scripts and Markdown under the repository, without build output, caches or golden data. */
    private static List<Path> sourceFiles() throws IOException {
        try (Stream<Path> s = Files.walk(ROOT)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> p.toString().matches(".*\\.(java|cl|sh|md)$") || p.getFileName().toString().equals("livetalk"))
                    .filter(p -> {
                        String r = ROOT.relativize(p).toString().replace('\\', '/');
                        return !r.contains("/target/") && !r.startsWith("target/") && !r.startsWith(".") && !r.contains("/.")
                                && !r.startsWith("tests/golden/");
                    })
                    .toList();
        }
    }
}
