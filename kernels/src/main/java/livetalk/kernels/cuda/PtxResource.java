package livetalk.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import livetalk.kernels.KernelException;

/**
 * The PTX text of a kernel family, as the jar carries it: {@code livetalk/kernels/cuda/FAMILY.ptx.gz}
 * (scripts/build-ptx.sh writes it). Gzipped because the text is large and repetitive (7 MB for the
 * TMA GEMM's variants, a tenth of that compressed), and the repository travels whole to a GPU
 * machine whose calls carry at most 64 MiB.
 */
public final class PtxResource {
    private PtxResource() {
    }

    /** {@code family}'s PTX text; a missing or unreadable resource is a broken build, said in one line. */
    public static String text(String family) {
        String res = "/livetalk/kernels/cuda/" + family + ".ptx.gz";
        try (InputStream in = PtxResource.class.getResourceAsStream(res)) {
            if (in == null) throw new KernelException("missing kernel resource " + res + " (a broken build)");
            try (GZIPInputStream z = new GZIPInputStream(in)) {
                return new String(z.readAllBytes(), StandardCharsets.US_ASCII);
            }
        } catch (IOException e) {
            throw new KernelException("cannot read " + res + ": " + e.getMessage(), e);
        }
    }
}
