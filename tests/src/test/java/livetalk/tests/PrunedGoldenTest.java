package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.stream.Stream;
import livetalk.cli.Main;
import livetalk.io.Checkpoint;
import livetalk.io.SafetensorsFile;
import livetalk.io.SafetensorsWriter;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code verify} on pruned copies of {@code tests/golden} (docs/numerics.md#verify): a set without debug
 * intermediates or stage inputs compares everything still there, derives what it can, and reports
 * the rest {@code SKIPPED <reason>}; nothing missing is a FAIL, and nothing missing is an OK.
 */
class PrunedGoldenTest {
    @TempDir
    Path tmp;

    @Test
    void withoutIntermediatesAndVaeTheRestIsStillCompared() throws IOException {
        Path dir = prune((stem, name) -> !name.startsWith("inter_"), "vae_tiny");
        String out = verify(dir, "dit_forward", "vae_decode", "causal_rollout_small_window");
        assertVerdict(out, 0);
        assertTrue(out.contains("OK      dit_forward/flow_pred"), out);
        assertTrue(out.contains("OK      dit_forward/x0_pred"), out);
        assertTrue(out.contains("SKIPPED dit_forward/inter_block0_out"), out);
        assertTrue(out.contains("SKIPPED vae_decode") && out.contains("vae_tiny.safetensors is not in the directory"), out);
        assertTrue(out.contains("OK      causal_rollout_small_window/output_latents"), out);
        assertFalse(out.contains("OK      dit_forward/inter_"), out);
    }

    @Test
    void audioConditioningIsDerivedFromTheProjectionOutput() throws IOException {
        String s = "causal_rollout_small_window";
        Path dir = prune((stem, name) -> !(stem.equals(s) && (name.startsWith("wav2vec_") || name.equals("ref_latent"))));
        String out = verify(dir, s);
        assertVerdict(out, 0);
        assertTrue(out.contains("SKIPPED " + s + "/audio_proj_out"), out);
        assertTrue(out.contains("OK      " + s + "/cond_audio"), out);          // derived from audio_proj_out
        assertTrue(out.contains("OK      " + s + "/cond_image"), out);          // ref latent encoded by the golden VAE
        assertTrue(out.contains("OK      " + s + "/output_latents"), out);
    }

    @Test
    void aChangedTensorStillFails() throws IOException {
        String s = "dit_forward";
        Path dir = prune((stem, name) -> !name.startsWith("inter_"));
        try (Checkpoint src = SafetensorsFile.open(dir.resolve(s + ".safetensors"))) {
            Map<String, Tensor> all = new LinkedHashMap<>();
            for (String n : src.names()) all.put(n, src.get(n));
            float[] flow = all.get("flow_pred").toFloatArray();
            flow[0] += 1f;
            all.put("flow_pred", Tensor.wrap(flow, all.get("flow_pred").shape()));
            Path out = tmp.resolve("changed.safetensors");
            SafetensorsWriter.write(out, all, src.metadata());
            Files.move(out, dir.resolve(s + ".safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        String out = verify(dir, s);
        assertTrue(out.contains("FAIL    dit_forward/flow_pred"), out);
    }

    /** A copy of tests/golden keeping the tensors {@code keep} accepts, without the files {@code drop}. */
    private Path prune(BiPredicate<String, String> keep, String... drop) throws IOException {
        Path src = Path.of("golden"), dst = tmp.resolve("golden");
        Files.createDirectories(dst);
        List<Path> files;
        try (Stream<Path> l = Files.list(src)) {
            files = new ArrayList<>(l.toList());
        }
        for (Path f : files) {
            String file = f.getFileName().toString();
            String stem = file.replaceFirst("\\.(safetensors|json)$", "");
            if (List.of(drop).contains(stem)) continue;
            if (Files.isDirectory(f)) {
                copyTree(f, dst.resolve(file));
            } else if (!file.endsWith(".safetensors")) {
                Files.copy(f, dst.resolve(file));
            } else {
                try (Checkpoint ck = SafetensorsFile.open(f)) {
                    Map<String, Tensor> kept = new LinkedHashMap<>();
                    for (String n : ck.names()) if (keep.test(stem, n)) kept.put(n, ck.get(n));
                    SafetensorsWriter.write(dst.resolve(file), kept, ck.metadata());
                }
            }
        }
        return dst;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> l = Files.list(from)) {
            for (Path p : l.toList()) Files.copy(p, to.resolve(p.getFileName().toString()));
        }
    }

    static String verify(Path dir, String... only) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            Main.execute("verify", "--golden", dir.toString(), "--only", String.join(",", only));
        } finally {
            System.setOut(old);
        }
        return buf.toString();
    }

    private static void assertVerdict(String out, int fails) {
        String verdict = out.lines().filter(l -> l.startsWith("verdict:")).findFirst().orElseThrow(() -> new AssertionError(out));
        assertTrue(verdict.contains(" " + fails + " FAIL"), out);
        assertTrue(verdict.matches("verdict: \\d+ OK, .*") && !verdict.startsWith("verdict: 0 OK"), out);
        assertEquals(fails, out.lines().filter(l -> l.startsWith("FAIL")).count(), out);
    }
}
