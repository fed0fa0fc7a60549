package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
        String ptx;
        try (InputStream in = CudaBackend.class.getResourceAsStream("/livetalk/kernels/cuda/" + module + ".ptx")) {
            assertTrue(in != null, "no PTX resource " + module);
            ptx = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int at = ptx.indexOf(".entry " + entry + "(");
        assertTrue(at >= 0, "no entry " + entry + " in " + module + ".ptx");
        String params = ptx.substring(at, ptx.indexOf(')', at));
        List<Integer> widths = new ArrayList<>();
        Matcher m = Pattern.compile("\\.param (?:\\.align \\d+ \\.b8 " + entry + "_param_\\d+\\[(\\d+)\\]|\\.[a-z](\\d+) " + entry + "_param_\\d+)")
                .matcher(params);
        while (m.find()) widths.add(m.group(1) != null ? Integer.parseInt(m.group(1)) : Integer.parseInt(m.group(2)) / 8);
        assertTrue(!widths.isEmpty(), "no parameters parsed for " + entry);
        return widths.stream().mapToInt(Integer::intValue).toArray();
    }
}
