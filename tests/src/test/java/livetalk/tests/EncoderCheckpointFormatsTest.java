package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import livetalk.io.Checkpoint;
import livetalk.io.PthWriter;
import livetalk.io.SafetensorsFile;
import livetalk.io.SafetensorsWriter;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.model.audio.Wav2Vec2;
import livetalk.model.text.Umt5Config;
import livetalk.model.text.Umt5Encoder;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The encoders load the official file formats: wav2vec2 from a {@code pytorch_model.bin} with a
 * {@code config.json} beside it, umT5 from a BF16 {@code .pth} (the official dtype) with the same
 * result as from BF16 safetensors.
 */
class EncoderCheckpointFormatsTest {
    static final Path GOLDEN = Path.of("golden");

    @TempDir
    Path tmp;

    static Map<String, Tensor> all(Checkpoint c, DType dtype) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String n : c.names()) m.put(n, dtype == null ? c.get(n) : c.get(n).to(dtype));
        return m;
    }

    @Test
    void wav2vecFromPytorchBinWithConfigJson() throws Exception {
        try (Checkpoint st = SafetensorsFile.open(GOLDEN.resolve("wav2vec_tiny_ctc.safetensors"));
             Checkpoint trace = SafetensorsFile.open(GOLDEN.resolve("wav2vec_forward.safetensors"));
             Backend be = new CpuBackend()) {
            Path bin = tmp.resolve("pytorch_model.bin");
            PthWriter.write(bin, all(st, null));
            Files.writeString(tmp.resolve("config.json"), st.metadata().get("config"));
            try (Checkpoint pth = Checkpoint.open(bin)) {
                Wav2Vec2 model = new Wav2Vec2(be, pth);
                int seqLen = (int) trace.get("seq_len").toLongArray()[0];
                Wav2Vec2.Result r = model.forward(trace.get("input_values").toFloatArray(), seqLen);
                Props.assertClose(trace.get("audio_features").toFloatArray(), r.features(), 1e-4, "audio_features from .bin");
            }
        }
    }

    @Test
    void umt5FromBf16PthMatchesBf16Safetensors() throws Exception {
        try (Checkpoint st = SafetensorsFile.open(GOLDEN.resolve("t5_tiny.safetensors"));
             Checkpoint trace = SafetensorsFile.open(GOLDEN.resolve("t5_forward.safetensors"));
             Backend be = new CpuBackend()) {
            Map<String, Tensor> bf16 = all(st, DType.BF16);
            Path pthFile = tmp.resolve("models_t5_umt5-xxl-enc-bf16.pth"), stFile = tmp.resolve("t5_bf16.safetensors");
            PthWriter.write(pthFile, bf16);
            SafetensorsWriter.write(stFile, bf16, Map.of());
            long[] ids = trace.get("ids").select(0, 0).toLongArray();
            int len = (int) trace.get("seq_lens").toLongArray()[0];
            float[] fromPth, fromSt;
            try (Checkpoint pth = Checkpoint.open(pthFile)) {
                assertEquals(DType.BF16, pth.get("token_embedding.weight").dtype());
                fromPth = new Umt5Encoder(be, pth, Umt5Config.infer(pth, Umt5Config.DEFAULT_MAX_DIST)).promptEmbeds(ids, len, ids.length);
            }
            try (Checkpoint s = Checkpoint.open(stFile)) {
                fromSt = new Umt5Encoder(be, s, Umt5Config.infer(s, Umt5Config.DEFAULT_MAX_DIST)).promptEmbeds(ids, len, ids.length);
            }
            assertArrayEquals(fromSt, fromPth);
            // Against the float32 golden only the bf16 rounding of the weights remains.
            float[] golden = trace.get("prompt_embeds").select(0, 0).toFloatArray();
            Props.assertClose(golden, fromPth, 5e-2, "bf16 weights vs f32 golden");
        }
    }
}
