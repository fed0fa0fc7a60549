package livetalk.model.dit;

import livetalk.tensor.DType;
import livetalk.tensor.Half;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/** The cache arithmetic of docs/sampler.md#kv-cache against a plain model of "sinks + most recent frames". */
class KvCacheTest {
    private final Backend be = new CpuBackend();

    @Test
    void evictionKeepsSinkFramesAndMostRecentFrames() {
        Props.forAll("kv-eviction", 60, 11, rnd -> run(rnd, false, DType.F32));
        Props.forAll("kv-eviction bf16", 30, 13, rnd -> run(rnd, false, DType.BF16));
    }

    @Test
    void attentionThroughCacheEqualsAttentionOverHandAssembledKeys() {
        Props.forAll("kv-attention", 30, 12, rnd -> run(rnd, true, DType.F32));
        Props.forAll("kv-attention bf16", 30, 14, rnd -> run(rnd, true, DType.BF16));
    }

    /** The worked example of the golden README: window 8, sink 2, blocks of 3 frames. */
    @Test
    void smallWindowExample() {
        KvCache kv = new KvCache(be, 1, 1, 1, 8, 2, DType.F32);
        for (int b = 0; b < 4; b++) {
            kv.beginCall(3L * b, 3);
            if (b == 2) assertArrayEquals(new long[] {0, 1, 3, 4, 5, 6, 7, 8}, kv.slotTokens());
        }
        assertArrayEquals(new long[] {0, 1, 6, 7, 8, 9, 10, 11}, kv.slotTokens());
    }

    /**
     * With bf16 storage the cache must hold exactly the bf16 roundings of what was written, and
     * attention over it must equal attention over those roundings given as float32.
     */
    private void run(SplittableRandom rnd, boolean attend, DType dtype) {
        int perFrame = 1 + rnd.nextInt(4), window = 2 + rnd.nextInt(9), fpb = 1 + rnd.nextInt(Math.min(3, window - 1));
        int sink = rnd.nextInt(window - fpb + 1);
        if (sink >= window) sink = window - 1;
        int heads = 1 + rnd.nextInt(2), headDim = 2 * (1 + rnd.nextInt(3)), dim = heads * headDim, layers = 1 + rnd.nextInt(2);
        KvCache kv = new KvCache(be, layers, dim, perFrame, window, sink, dtype);
        Map<Long, float[]> latestK = new HashMap<>(), latestV = new HashMap<>();   // per absolute frame, layer 0
        int blocks = 1 + rnd.nextInt(12);
        for (int b = 0; b < blocks; b++) {
            long start = (long) b * fpb;
            int calls = 1 + rnd.nextInt(4);                   // denoising steps + clean pass overwrite the same slots
            for (int call = 0; call < calls; call++) {
                int n = fpb * perFrame;
                kv.beginCall(start * perFrame, n);
                float[] k = Props.normal(rnd, n * dim), v = Props.normal(rnd, n * dim);
                for (int l = 0; l < layers; l++) {
                    be.write(kv.newKeys(l), k);
                    be.write(kv.newValues(l), v);
                    kv.store(l);
                }
                if (dtype == DType.BF16) {                    // what the cache is expected to hold
                    for (int i = 0; i < k.length; i++) {
                        k[i] = Half.roundToBf16(k[i]);
                        v[i] = Half.roundToBf16(v[i]);
                    }
                }
                for (int f = 0; f < fpb; f++) {
                    latestK.put(start + f, java.util.Arrays.copyOfRange(k, f * perFrame * dim, (f + 1) * perFrame * dim));
                    latestV.put(start + f, java.util.Arrays.copyOfRange(v, f * perFrame * dim, (f + 1) * perFrame * dim));
                }
                // expected frames: the first `sink` frames ever written, then the most recent ones that fit
                long written = start + fpb;
                List<Long> frames = new ArrayList<>();
                if (written <= window) {
                    for (long f = 0; f < written; f++) frames.add(f);
                } else {
                    for (long f = 0; f < sink; f++) frames.add(f);
                    for (long f = written - (window - sink); f < written; f++) frames.add(f);
                }
                long[] expectTokens = new long[frames.size() * perFrame];
                float[] expectK = new float[frames.size() * perFrame * dim], expectV = new float[expectK.length];
                for (int i = 0; i < frames.size(); i++) {
                    for (int t = 0; t < perFrame; t++) expectTokens[i * perFrame + t] = frames.get(i) * perFrame + t;
                    System.arraycopy(latestK.get(frames.get(i)), 0, expectK, i * perFrame * dim, perFrame * dim);
                    System.arraycopy(latestV.get(frames.get(i)), 0, expectV, i * perFrame * dim, perFrame * dim);
                }
                assertArrayEquals(expectTokens, kv.slotTokens(), "slots after block " + b + " call " + call);
                assertEquals(written * perFrame, kv.globalEnd());
                for (int l = 0; l < layers; l++) {
                    assertArrayEquals(expectK, be.read(kv.keys(l)), "keys of layer " + l);
                    assertArrayEquals(expectV, be.read(kv.values(l)), "values of layer " + l);
                }
                if (attend) {
                    float[] q = Props.normal(rnd, n * dim);
                    Buf qb = be.upload(q), viaCache = be.alloc((long) n * dim), byHand = be.alloc((long) n * dim);
                    int nk = kv.localEnd();
                    be.attention(qb, kv.keys(0), kv.values(0), viaCache, n, nk, heads, headDim, 0.5f, null);
                    be.attention(qb, be.upload(expectK), be.upload(expectV), byHand, n, nk, heads, headDim, 0.5f, null);
                    assertArrayEquals(be.read(byHand), be.read(viaCache));
                }
            }
        }
    }
}
