package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The committed PTX is what the CUDA C sources compile to, and ptxas accepts it for sm_80, sm_89
 * and sm_90a ({@code scripts/build-ptx.sh --check}). Skipped, saying so, where nvcc is absent.
 */
class PtxResourcesTest {

    @Test
    void committedPtxMatchesSourcesAndAssembles() throws IOException, InterruptedException {
        Path script = Path.of("..", "scripts", "build-ptx.sh").toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(script), "no scripts/build-ptx.sh beside the module");
        boolean nvcc = Files.isExecutable(Path.of("/usr/local/cuda/bin/nvcc")) || onPath("nvcc");
        assumeTrue(nvcc, "nvcc is not installed: the committed PTX is used unchecked");
        Process p = new ProcessBuilder("bash", script.toString(), "--check").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(p.waitFor(300, TimeUnit.SECONDS), "build-ptx --check did not finish in 300 s");
        assertEquals(0, p.exitValue(), out);
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }
}
