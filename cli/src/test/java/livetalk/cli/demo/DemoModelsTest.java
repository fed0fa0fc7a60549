package livetalk.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import livetalk.session.ModelLayout;
import livetalk.io.Checkpoint;
import livetalk.io.Json;
import livetalk.io.audio.FeatureNormalizer;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.model.audio.Wav2Vec2;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.DitConfig;
import livetalk.model.dit.KvCache;
import livetalk.model.dit.TextCache;
import livetalk.model.text.Umt5Config;
import livetalk.model.text.Umt5Encoder;
import livetalk.model.text.Umt5Tokenizer;
import livetalk.model.vae.WanVae;
import livetalk.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo model set: deterministic, in the official layout, and loadable and runnable by the real loaders. */
class DemoModelsTest {
    @TempDir
    Path tmp;

    private final Backend be = new CpuBackend();

    @Test
    void generationIsDeterministicAndFast() throws Exception {
        Path a = Files.createDirectory(tmp.resolve("a")), b = Files.createDirectory(tmp.resolve("b"));
        long t0 = System.nanoTime();
        DemoModels.generate(a);
        double seconds = (System.nanoTime() - t0) / 1e9;
        DemoModels.generate(b);
        Map<String, String> ha = hashes(a), hb = hashes(b);
        assertEquals(ha, hb);
        assertEquals(9, ha.size(), ha.keySet().toString());
        assertTrue(seconds < 5, "generation took " + seconds + " s");
    }

    @Test
    void ensureBuildsOnceReusesAndRepairs() throws Exception {
        Path dir = DemoModels.ensure(tmp);
        assertEquals(tmp.resolve(DemoModels.VERSION), dir);
        ModelLayout.resolve(dir, null, null, null, null, null);   // the layout the generate command expects
        long stamp = Files.getLastModifiedTime(dir.resolve(ModelLayout.DIT)).toMillis();
        Map<String, String> before = hashes(dir);

        assertEquals(dir, DemoModels.ensure(tmp));                  // reused, not rewritten
        assertEquals(stamp, Files.getLastModifiedTime(dir.resolve(ModelLayout.DIT)).toMillis());

        Files.delete(dir.resolve(ModelLayout.VAE));                 // damaged by hand: rebuilt whole
        assertEquals(dir, DemoModels.ensure(tmp));
        assertEquals(before, hashes(dir));
        try (Stream<Path> s = Files.list(tmp)) {                    // no temporary folders left behind
            assertEquals(1, s.count());
        }
    }

    @Test
    void concurrentCallersShareOneSet() throws Exception {
        Path[] got = new Path[2];
        Throwable[] failed = new Throwable[2];
        Thread[] ts = new Thread[2];
        for (int i = 0; i < 2; i++) {
            int k = i;
            ts[i] = new Thread(() -> {
                try {
                    got[k] = DemoModels.ensure(tmp);
                } catch (Throwable e) {
                    failed[k] = e;
                }
            });
            ts[i].start();
        }
        for (Thread t : ts) t.join();
        assertEquals(null, failed[0]);
        assertEquals(null, failed[1]);
        assertEquals(got[0], got[1]);
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(1, s.count());
        }
    }

    /** The jar's tokenizer copy is the golden file (Surefire runs in the module folder). */
    @Test
    void tokenizerIsTheGoldenModel() throws Exception {
        Path golden = Path.of("..").resolve(DemoModels.GOLDEN_TOKENIZER);
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(golden), "no golden data");
        org.junit.jupiter.api.Assertions.assertArrayEquals(Files.readAllBytes(golden), DemoModels.tokenizerModel());
    }

    @Test
    void everyModelLoadsAndRunsEndToEnd() throws Exception {
        Path dir = DemoModels.ensure(tmp);
        ModelLayout l = ModelLayout.resolve(dir, null, null, null, null, null);

        // tokenizer + umT5 → text context [L, textDim]
        Umt5Tokenizer tok = Umt5Tokenizer.load(l.tokenizer().resolve("spiece.model"));
        Umt5Tokenizer.Encoding enc = tok.encode(DemoAssets.SENTENCE);
        float[] context;
        int textDim;
        try (Checkpoint ck = Checkpoint.open(l.t5())) {
            assertEquals(DType.BF16, ck.get("token_embedding.weight").dtype());
            Umt5Config cfg = Umt5Config.infer(ck, (Map<String, Object>) null);
            assertEquals(tok.pieces().vocabSize(), cfg.vocab());
            assertEquals(DemoEncoders.T5_HEADS, cfg.heads());
            assertEquals(DemoEncoders.T5_LAYERS, cfg.layers());
            textDim = cfg.dim();
            context = new Umt5Encoder(be, ck, cfg).promptEmbeds(enc.ids(), enc.length(), enc.length());
        }
        assertFinite("umT5", context);

        // wav2vec2 on 1 s of a tone → features [17, (N+2)·H]
        int seqLen = 17, samples = 16000;
        float[] wave = new float[samples];
        for (int i = 0; i < samples; i++) wave[i] = (float) (0.3 * Math.sin(2 * Math.PI * 220 * i / 16000.0) + 0.05 * Math.sin(i * 0.37));
        float[] features;
        try (Checkpoint ck = Checkpoint.open(ModelLayout.wav2vecWeights(l.wav2vec()))) {
            assertTrue(ck.contains("wav2vec2.encoder.pos_conv_embed.conv.weight_g"));
            Wav2Vec2 w2v = new Wav2Vec2(be, ck);
            assertEquals(DemoEncoders.W2V_HEADS, w2v.config().heads());
            assertEquals(49, w2v.config().convFrames(samples));     // the official 50 Hz conv stack
            features = w2v.forward(FeatureNormalizer.normalize(wave), seqLen).features();
        }
        assertEquals(seqLen * DemoEncoders.audioFeatureDim(), features.length);
        assertFinite("wav2vec2", features);

        try (Checkpoint vck = Checkpoint.open(l.vae()); Checkpoint dck = Checkpoint.open(l.dit())) {
            // VAE encode of a 32×32 reference frame → [1, 16, 4, 4]
            WanVae vae = WanVae.load(vck, be);
            assertEquals(DemoModels.vaeConfig(), vae.config());
            int h = 32, w = 32, lh = 4, lw = 4;
            float[] pixels = new float[3 * h * w];
            for (int i = 0; i < pixels.length; i++) pixels[i] = (float) Math.sin(i * 0.1);
            float[] ref = vae.encode(pixels, 1, h, w);
            assertEquals(16 * lh * lw, ref.length);
            assertFinite("VAE encode", ref);

            // DiT with its config.json (the head count is not in the shapes)
            @SuppressWarnings("unchecked")
            Map<String, Object> json = (Map<String, Object>) Json.parse(Files.readString(dir.resolve(DemoModels.DIT_CONFIG)));
            CausalDit dit = CausalDit.load(be, dck, json);
            DitConfig dc = dit.config();
            assertEquals(DemoModels.ditConfig(), dc);
            assertEquals(textDim, dc.textDim());
            assertEquals(DemoEncoders.audioFeatureDim(), dc.audioInputDim());
            int f = (seqLen + 3) / 4;                                   // 5 latent frames
            float[] audio = dit.audioProjection().condition(dit.audioProjection().pack(features, seqLen), f);   // [2, F, D]
            float[] x = new float[f * 16 * lh * lw], y = new float[17 * f * lh * lw];
            for (int i = 0; i < x.length; i++) x[i] = (float) Math.cos(i * 0.7);
            for (int fi = 0; fi < f; fi++) {                            // y: reference latent in every frame + mask 1 on frame 0
                for (int c = 0; c < 16; c++) System.arraycopy(ref, c * lh * lw, y, (c * f + fi) * lh * lw, lh * lw);
            }
            for (int i = 0; i < lh * lw; i++) y[16 * f * lh * lw + i] = 1;
            float[] t = new float[f];
            java.util.Arrays.fill(t, 1000f);
            TextCache text = dit.encodeText(context, enc.length());
            KvCache kv = dit.newKvCache(dit.frameSeqLength(lh, lw), f, 0, KvCache.DEFAULT_DTYPE);
            float[] flow = dit.forward(new CausalDit.Input(x, y, f, lh, lw, t, audio, 0), kv, text);
            assertEquals(x.length, flow.length);
            assertFinite("DiT", flow);

            // VAE decode of the DiT output → [1 + 4(F−1), 3, 32, 32]
            float[] video = vae.decode(flow, f, lh, lw);
            assertEquals((1 + 4 * (f - 1)) * 3 * h * w, video.length);
            assertFinite("VAE decode", video);
        }
    }

    private static void assertFinite(String what, float[] v) {
        double sum = 0;
        for (float x : v) {
            assertTrue(Float.isFinite(x), what + " produced a non-finite value");
            sum += Math.abs(x);
        }
        assertFalse(sum == 0, what + " produced all zeros");
    }

    private static Map<String, String> hashes(Path root) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                byte[] d = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
                out.put(root.relativize(p).toString(), HexFormat.of().formatHex(d));
            }
        }
        return out;
    }
}
