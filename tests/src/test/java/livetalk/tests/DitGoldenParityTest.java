package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import livetalk.cli.verify.Checks;
import livetalk.cli.verify.GoldenCheck;
import livetalk.cli.verify.GoldenDir;
import livetalk.cli.verify.Report;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The DiT and sampler golden checks, run through the same code as {@code livetalk verify}. */
class DitGoldenParityTest {
    static final Path GOLDEN = Path.of("golden");

    @ParameterizedTest
    @ValueSource(strings = {"dit_forward", "causal_rollout", "causal_rollout_small_window", "causal_rollout_bf16steps"})
    void checkPasses(String stem) throws Exception {
        assertTrue(Files.isRegularFile(GOLDEN.resolve(stem + ".safetensors")), "golden file " + stem + " missing in " + GOLDEN.toAbsolutePath());
        GoldenCheck check = Checks.all().stream().filter(c -> c.stem().equals(stem)).findFirst().orElseThrow();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Report report = new Report(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try (GoldenDir dir = new GoldenDir(GOLDEN); Backend be = new CpuBackend()) {
            check.run(dir, be, report);
        }
        String lines = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, report.failed(), lines);
        assertEquals(0, report.skipped(), lines);
        assertTrue(report.ok() > 0, lines);
    }
}
