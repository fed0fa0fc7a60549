package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A kernel's parameters as its committed PTX declares them, in bytes, for the tests that hold a
 * launch's argument list ({@link CudaContext.Args#widths}) against them.
 */
final class PtxParams {
    private PtxParams() {
    }

    /**
     * The byte widths of {@code entry}'s parameters in the PTX resource {@code module} (e.g.
     * "conv"): ".param .u64 NAME_param_0" → 8, ".param .align 128 .b8 NAME_param_0[128]" (a
     * tensor map) → 128.
     */
    static int[] widths(String module, String entry) {
        int[] widths = PtxEntries.paramWidths(ptx(module)).get(entry);
        assertTrue(widths != null, "no entry " + entry + " in " + module + ".ptx");
        assertTrue(widths.length > 0, "no parameters parsed for " + entry);
        return widths;
    }

    /** The names of every entry the PTX resource {@code module} declares. */
    static java.util.Set<String> entries(String module) {
        return PtxEntries.paramWidths(ptx(module)).keySet();
    }

    private static String ptx(String module) {
        try (InputStream in = CudaBackend.class.getResourceAsStream("/livetalk/kernels/cuda/" + module + ".ptx")) {
            assertTrue(in != null, "no PTX resource " + module);
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
