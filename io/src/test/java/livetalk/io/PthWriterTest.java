package livetalk.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PthWriterTest {
    @TempDir
    Path tmp;

    /** torch.load must read what PthWriter writes, with the same names, dtypes, shapes and values. */
    @Test
    void torchLoadReadsTheFile() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "no /usr/bin/python3: torch cross-check skipped");
        Process probe = new ProcessBuilder(python.toString(), "-c", "import torch").redirectErrorStream(true).start();
        Assumptions.assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0, "python3-torch not installed: torch cross-check skipped");

        Map<String, Tensor> sd = new LinkedHashMap<>();
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        sd.put("a.weight", Tensor.wrap(Props.normal(rnd, 12), 3, 4));
        sd.put("b.bias", Tensor.wrap(Props.normal(rnd, 5), 5).to(DType.BF16));
        sd.put("c", Tensor.wrap(Props.normal(rnd, 8), 2, 2, 2).to(DType.F16));
        sd.put("ids", Tensor.wrap(new long[] {1, 2, 300, -4, 5_000_000_000L}, 5));
        Path f = tmp.resolve("w.pth");
        PthWriter.write(f, sd);

        String script = "import torch,sys\n"
                + "sd=torch.load(sys.argv[1])\n"
                + "for k,v in sd.items(): print(k, str(v.dtype).replace('torch.',''), list(v.shape), repr(v.double().sum().item()))\n";
        Process p = new ProcessBuilder(python.toString(), "-c", script, f.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        p.waitFor(60, TimeUnit.SECONDS);
        StringBuilder expected = new StringBuilder();
        String[] torchNames = {"float32", "bfloat16", "float16", "int64"};
        int i = 0;
        for (Map.Entry<String, Tensor> e : sd.entrySet()) {
            double sum = 0;
            if (e.getValue().dtype() == DType.I64) {
                for (long v : e.getValue().toLongArray()) sum += v;
            } else {
                for (float v : e.getValue().toFloatArray()) sum += v;
            }
            if (i > 0) expected.append('\n');
            expected.append(e.getKey()).append(' ').append(torchNames[i++]).append(' ')
                    .append(java.util.Arrays.toString(e.getValue().shape())).append(' ').append(sum);
        }
        // Compare names, dtypes and shapes exactly and sums to double rounding.
        String[] got = out.split("\n"), want = expected.toString().split("\n");
        assertEquals(want.length, got.length, out);
        for (int k = 0; k < want.length; k++) {
            String[] g = got[k].split(" (?=[^ ]+$)"), w = want[k].split(" (?=[^ ]+$)");
            assertEquals(w[0], g[0], out);
            assertEquals(Double.parseDouble(w[1]), Double.parseDouble(g[1]), 1e-9 * Math.max(1, Math.abs(Double.parseDouble(w[1]))), out);
        }
    }
}
