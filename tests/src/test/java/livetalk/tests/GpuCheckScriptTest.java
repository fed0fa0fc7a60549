package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * scripts/gpu-check.sh is run only on a lent GPU, where a broken step costs device time: its steps
 * are checked here without one. Each step's command must be a command (an environment setting
 * goes through env or PLAIN: a bare VAR=value in "$@" is run as a command and exits 127), step
 * names are unique, and every step the docs' next-run --only list names exists.
 */
class GpuCheckScriptTest {
    private static final Pattern STEP = Pattern.compile("^\\s*(?:LOGDIR=\\S+\\s+)?step\\s+(\\S+)\\s+(\\d+)\\s+(\\S+)");

    private static Path root() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.exists(d.resolve("scripts/gpu-check.sh"))) return d;
        }
        throw new IllegalStateException("no scripts/gpu-check.sh above " + Path.of("").toAbsolutePath());
    }

    private static List<String[]> steps() throws Exception {
        List<String[]> steps = new ArrayList<>();
        for (String line : Files.readAllLines(root().resolve("scripts/gpu-check.sh"))) {
            Matcher m = STEP.matcher(line);
            if (m.find()) steps.add(new String[]{m.group(1), m.group(2), m.group(3)});
        }
        return steps;
    }

    @Test
    void everyStepRunsACommand() throws Exception {
        List<String[]> steps = steps();
        assertTrue(steps.size() > 30, steps.size() + " steps found: the pattern no longer matches the script");
        Set<String> names = new LinkedHashSet<>();
        for (String[] s : steps) {
            assertTrue(!s[2].matches("[A-Za-z_][A-Za-z0-9_]*=.*"), "step " + s[0] + " starts with an assignment (" + s[2] + "): use env");
            assertTrue(names.add(s[0]) || s[0].startsWith("sanitizer"), "step " + s[0] + " twice");
        }
    }

    @Test
    void theNextRunsListNamesExistingSteps() throws Exception {
        Set<String> names = new LinkedHashSet<>();
        for (String[] s : steps()) names.add(s[0]);
        String doc = Files.readString(root().resolve("docs/cuda-performance.md"));
        Matcher m = Pattern.compile("scripts/gpu-check\\.sh run \\$OUT --only ([a-z0-9,-]+)").matcher(doc);
        int lists = 0;
        while (m.find()) {
            lists++;
            for (String step : m.group(1).split(",")) assertTrue(names.contains(step), "the docs name step " + step + ", which gpu-check.sh lacks");
        }
        assertTrue(lists > 0, "no --only list in docs/cuda-performance.md");
    }
}
