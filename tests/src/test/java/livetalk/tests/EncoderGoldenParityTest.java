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

/**
 * The conditioning-encoder golden checks, run through the registry and report that
 * {@code livetalk verify} uses: every compared tensor must be OK, none FAIL or SKIPPED.
 */
class EncoderGoldenParityTest {
    static final Path GOLDEN = Path.of("golden");

    @ParameterizedTest
    @ValueSource(strings = {"tokenizer", "t5_forward", "wav2vec_forward", "audio_interp"})
    void checkPasses(String stem) throws Exception {
        assertTrue(Files.isDirectory(GOLDEN), "golden directory " + GOLDEN.toAbsolutePath());
        GoldenCheck check = Checks.all().stream().filter(c -> c.stem().equals(stem)).findFirst().orElseThrow();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Report report = new Report(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try (GoldenDir dir = new GoldenDir(GOLDEN); Backend backend = new CpuBackend()) {
            check.run(dir, backend, report);
        }
        String lines = buf.toString(StandardCharsets.UTF_8);
        System.out.print(lines);
        assertEquals(0, report.failed(), lines);
        assertEquals(0, report.skipped(), lines);
        assertTrue(report.ok() > 0, lines);
    }
}
