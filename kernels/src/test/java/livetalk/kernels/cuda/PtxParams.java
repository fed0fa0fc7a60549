package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

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
        assertTrue(widths != null, "no entry " + entry + " in " + module + ".ptx.gz");
        assertTrue(widths.length > 0, "no parameters parsed for " + entry);
        return widths;
    }

    /** The names of every entry the PTX resource {@code module} declares. */
    static java.util.Set<String> entries(String module) {
        return PtxEntries.paramWidths(ptx(module)).keySet();
    }

    private static String ptx(String module) {
        return PtxResource.text(module);
    }
}
