package livetalk.tests.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import livetalk.io.MemoryCheckpoint;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.DitConfig;
import livetalk.model.dit.KvCache;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;
import livetalk.testkit.DitWeights;
import org.junit.jupiter.api.Test;

/**
 * The DiT's text-only weights (the text embedding, every layer's cross-attention k and v
 * projections and k norm) leave the device once a prompt's K/V exist, and nothing but the next
 * prompt brings them back (docs/cuda-performance.md#gpu-memory). On the official 1.3B shapes, with
 * {@link DeviceMemoryModel}'s books of the CUDA backend: this fails if a forward reads one of them
 * (an upload the device would repeat after every prompt), or if one stays resident.
 */
class TextWeightsReleaseTest {

    @Test
    void textOnlyWeightsLeaveTheDeviceAfterEncodingAndTheForwardNeverReadsThem() {
        DeviceMemoryModel be = new DeviceMemoryModel(DType.F32);
        DitConfig cfg = DitWeights.official1_3B();
        MemorySegment zero = Arena.ofAuto().allocate(64L << 20);
        Map<String, Tensor> t = new HashMap<>();
        DitWeights.shapes(cfg).forEach((name, shape) -> t.put(name, Tensor.of(DType.BF16, zero.asSlice(0, Tensor.numel(shape) * 2), shape)));
        CausalDit dit = new CausalDit(be, new MemoryCheckpoint("dit", t, Map.of()), cfg);

        dit.encodeText(new float[512 * cfg.textDim()], 512);
        assertEquals(0, weightBytes(be), "weights left on the device by encodeText (it was the first use of every weight it read)");

        int frames = 3, h = 8, w = 8;
        KvCache kv = dit.newKvCache(dit.frameSeqLength(h, w), 15, 9, KvCache.DEFAULT_DTYPE);
        var text = dit.encodeText(new float[512 * cfg.textDim()], 512);
        int remadeByEncoding = be.remadeWeights();
        assertTrue(remadeByEncoding > 0, "the second prompt made its weights again");
        float[] timesteps = {1000f, 1000f, 1000f};
        float[] audio = new float[cfg.numAudioProjs() * frames * cfg.dim()];
        var in = new CausalDit.Input(new float[frames * cfg.outDim() * h * w], new float[(cfg.inDim() - cfg.outDim()) * frames * h * w],
                frames, h, w, timesteps, audio, 0);
        dit.forward(in, kv, text);
        long afterForward = weightBytes(be);
        dit.refreshCache(in, kv, text);
        dit.forward(in, kv, text);
        assertEquals(remadeByEncoding, be.remadeWeights(), "a forward read a weight released after encodeText");
        assertEquals(afterForward, weightBytes(be), "weights resident after more forwards");

        // The text-only weights' device forms: bf16 matrices k, v per layer and the embedding's two,
        // float32 biases and k norms; the forward's weights plus these are the whole checkpoint's.
        long d = cfg.dim(), layers = cfg.numLayers();
        long textOnly = 2 * (layers * 2 * d * d + d * cfg.textDim() + d * d)
                + 4 * (layers * 3 * d + 2 * d);
        long all = 0;
        for (var e : DitWeights.shapes(cfg).entrySet()) {
            long[] s = e.getValue();
            long n = Tensor.numel(s);
            if (e.getKey().endsWith("modulation")) continue;    // uploaded as buffers, not weights
            if (e.getKey().startsWith("audio_")) continue;      // the audio projection runs before the forward (Input.audio is its output)
            all += s.length >= 2 ? 2L * s[0] * DeviceMemoryModel.pad8((int) (n / s[0])) : 4L * n;
        }
        assertEquals(all - textOnly, afterForward, "weights resident during forwards, against the checkpoint less its text-only weights");

        dit.encodeText(new float[512 * cfg.textDim()], 512);
        assertEquals(afterForward, weightBytes(be), "weights resident after a third prompt");
    }

    private static long weightBytes(DeviceMemoryModel be) {
        return be.live(DeviceMemoryModel.Kind.WEIGHTS_BF16) + be.live(DeviceMemoryModel.Kind.WEIGHTS_F32);
    }
}
