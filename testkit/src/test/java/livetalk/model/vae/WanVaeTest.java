package livetalk.model.vae;

import livetalk.testkit.VaeWeights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Streaming properties of the VAE on small random-weight models with the official layout. */
class WanVaeTest {
    private final Backend be = new CpuBackend();

    private static VaeConfig tinyConfig(SplittableRandom r) {
        return new VaeConfig(2 + r.nextInt(3), 16, List.of(1, 2, 4, 4), 1 + r.nextInt(2), List.of(false, true, true));
    }

    private WanVae randomVae(VaeConfig cfg, long seed) {
        return WanVae.load(VaeWeights.checkpoint(VaeWeights.generate(cfg, seed)), be);
    }

    @Test
    void blockwiseDecodeEqualsOneShotDecode() {
        Props.forAll("vae blockwise decode", 6, 21, r -> {
            VaeConfig cfg = tinyConfig(r);
            WanVae vae = randomVae(cfg, r.nextLong());
            int h = 1 + r.nextInt(3), w = 1 + r.nextInt(3), f = 2 + r.nextInt(5);
            int frame = 16 * h * w;
            float[] z = Props.normal(r, f * frame);
            float[] whole = vae.decodeRaw(z, f, h, w);
            assertEquals((1 + 4 * (f - 1)) * 3 * 64 * h * w, whole.length, "1 + 4(F-1) frames of 8h x 8w");

            StreamingDecoder dec = vae.decoder(h, w);
            float[] streamed = new float[0];
            int pos = 0;
            List<Integer> blocks = new ArrayList<>();
            while (pos < f) {
                int n = 1 + r.nextInt(Math.min(3, f - pos));
                blocks.add(n);
                float[] px = dec.pushRaw(Arrays.copyOfRange(z, pos * frame, (pos + n) * frame), n);
                streamed = concat(streamed, px);
                pos += n;
            }
            assertArrayEquals(whole, streamed, "blocks " + blocks);   // same kernels, same order: bit-identical
        });
    }

    @Test
    void interleavedSessionsEachDecodeAsIfAlone() {
        // several live sessions share one VAE: each keeps its own causal history, swapped in when it decodes
        Props.forAll("vae interleaved sessions", 4, 31, r -> {
            VaeConfig cfg = tinyConfig(r);
            WanVae vae = randomVae(cfg, r.nextLong());
            int h = 1 + r.nextInt(2), w = 1 + r.nextInt(2), f = 3 + r.nextInt(3), frame = 16 * h * w, sessions = 2 + r.nextInt(2);
            float[][] z = new float[sessions][], alone = new float[sessions][], mixed = new float[sessions][];
            for (int s = 0; s < sessions; s++) {
                z[s] = Props.normal(r, f * frame);
                alone[s] = vae.decodeRaw(z[s], f, h, w);
                mixed[s] = new float[0];
            }
            StreamingDecoder[] dec = new StreamingDecoder[sessions];
            for (int s = 0; s < sessions; s++) dec[s] = vae.decoder(h, w);
            for (int i = 0; i < f; i++) {
                for (int s = 0; s < sessions; s++) {
                    int k = (s + i) % sessions;                              // a different order every round
                    mixed[k] = concat(mixed[k], dec[k].pushRaw(Arrays.copyOfRange(z[k], i * frame, (i + 1) * frame), 1));
                }
            }
            for (int s = 0; s < sessions; s++) assertArrayEquals(alone[s], mixed[s], "session " + s);
        });
    }

    @Test
    void decoderMemoryStopsGrowingAfterTheSecondLatentFrame() {
        SplittableRandom r = new SplittableRandom(5);
        WanVae vae = randomVae(tinyConfig(r), 9);
        StreamingDecoder dec = vae.decoder(2, 3);
        dec.push(Props.normal(r, 2 * 16 * 6), 2);
        long after2 = vae.decoderWorkspaceFloats();
        dec.push(Props.normal(r, 5 * 16 * 6), 5);
        assertEquals(after2, vae.decoderWorkspaceFloats());
        assertEquals(7, dec.latentFrames());
    }

    @Test
    void causalConvInChunksEqualsOneCall() {
        Props.forAll("causal conv chunks", 20, 22, r -> {
            int cin = 1 + r.nextInt(4), cout = 1 + r.nextInt(4), h = 1 + r.nextInt(5), w = 1 + r.nextInt(5), t = 1 + r.nextInt(8);
            Map<String, Tensor> m = Map.of("c.weight", Tensor.wrap(Props.normal(r, cout * cin * 27), cout, cin, 3, 3, 3),
                    "c.bias", Tensor.wrap(Props.normal(r, cout), cout));
            Checkpoint ck = VaeWeights.checkpoint(m);
            CausalConv3d one = CausalConv3d.load(ck, "c", be, 1, 1, 1), chunked = CausalConv3d.load(ck, "c", be, 1, 1, 1);
            float[] x = Props.normal(r, t * cin * h * w);
            int fs = cin * h * w;
            float[] expected = be.read(one.forward(new Activation(be.upload(x), t, cin, h, w), be.alloc((long) t * cout * h * w)).buf());
            float[] got = new float[0];
            for (int pos = 0; pos < t; ) {
                int n = 1 + r.nextInt(t - pos);
                Activation a = new Activation(be.upload(Arrays.copyOfRange(x, pos * fs, (pos + n) * fs)), n, cin, h, w);
                got = concat(got, be.read(chunked.forward(a, be.alloc((long) n * cout * h * w)).buf()));
                pos += n;
            }
            assertArrayEquals(expected, got);
        });
    }

    @Test
    void officialLayoutHasTheSpecifiedParameterCount() {
        Map<String, long[]> full = VaeWeights.shapes(VaeWeights.official());
        long params = full.values().stream().mapToLong(Tensor::numel).sum();
        assertEquals(194, full.size());          // docs/model.md#vae-state-dict
        assertEquals(126_892_531L, params);
    }

    @Test
    void randomLayoutMatchesTheGoldenVaeFile() {
        Path golden = Path.of("../tests/golden/vae_tiny.safetensors");
        Assumptions.assumeTrue(Files.isRegularFile(golden), "no golden VAE at " + golden);
        try (Checkpoint ck = Checkpoint.open(golden)) {
            VaeConfig cfg = VaeConfig.infer(ck);
            assertEquals(new VaeConfig(8, 16, List.of(1, 2, 4, 4), 2, List.of(false, true, true)), cfg);
            Map<String, Tensor> gen = VaeWeights.generate(cfg, 1);
            assertEquals(new java.util.TreeSet<>(ck.names()), new java.util.TreeSet<>(gen.keySet()));
            for (String n : ck.names()) assertArrayEquals(ck.get(n).shape(), gen.get(n).shape(), n);
        }
    }

    @Test
    void oneLatentFrameAtATimeGivesTheBitsOfWholeBlocks() {
        // the streaming pipeline pushes a block's 3 latent frames one by one so that the first frames
        // leave sooner (docs/sampler.md#streaming); that must be what one push of the block gives
        SplittableRandom r = new SplittableRandom(23);
        for (int i = 0; i < 3; i++) assertFrameByFrameIsBlockwise("tiny random " + i, randomVae(tinyConfig(r), r.nextLong()), r);
        Path golden = Path.of("../tests/golden/vae_tiny.safetensors");
        Assumptions.assumeTrue(Files.isRegularFile(golden), "no golden VAE at " + golden);
        try (Checkpoint ck = Checkpoint.open(golden)) {
            assertFrameByFrameIsBlockwise("golden vae_tiny", WanVae.load(ck, be), r);
        }
    }

    private static void assertFrameByFrameIsBlockwise(String what, WanVae vae, SplittableRandom r) {
        int h = 2, w = 3, frame = vae.config().zDim() * h * w, blocks = 3;
        float[] z = Props.normal(r, 3 * blocks * frame);
        StreamingDecoder whole = vae.decoder(h, w), single = vae.decoder(h, w);
        for (int b = 0; b < blocks; b++) {
            float[] expected = whole.push(Arrays.copyOfRange(z, 3 * b * frame, 3 * (b + 1) * frame), 3);
            float[] got = new float[0];
            for (int f = 3 * b; f < 3 * b + 3; f++) got = concat(got, single.push(Arrays.copyOfRange(z, f * frame, (f + 1) * frame), 1));
            assertArrayEquals(expected, got, what + ", block " + b);
        }
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
