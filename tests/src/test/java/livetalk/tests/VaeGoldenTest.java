package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import livetalk.cli.verify.Checks;
import livetalk.cli.verify.GoldenCheck;
import livetalk.cli.verify.GoldenDir;
import livetalk.cli.verify.Report;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The VAE golden checks, run through the same {@link Checks} entries and {@link Report} as {@code livetalk verify}. */
class VaeGoldenTest {
    private static final List<String> VAE_CHECKS = List.of("VaeEncodeCheck", "VaeDecodeCheck", "RolloutVaeCheck");

    @Test
    void vaeChecksPassOnTheGoldenSet() throws Exception {
        Path dir = Path.of("golden");
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("vae_tiny.safetensors")), "no golden directory at " + dir.toAbsolutePath());
        List<GoldenCheck> checks = Checks.all().stream().filter(c -> VAE_CHECKS.contains(c.getClass().getSimpleName())).toList();
        assertEquals(VAE_CHECKS.size(), checks.size(), "VAE checks registered in Checks.all()");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Report report = new Report(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try (GoldenDir gd = new GoldenDir(dir); Backend backend = new CpuBackend()) {
            for (GoldenCheck c : checks) c.run(gd, backend, report);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        assertEquals(0, report.failed(), out);
        assertFalse(out.contains("FAIL"), out);
        // vae_encode: 5, vae_decode: 5, causal_rollout: ref_latent and video.
        assertTrue(report.ok() >= 12, out);
    }
}
