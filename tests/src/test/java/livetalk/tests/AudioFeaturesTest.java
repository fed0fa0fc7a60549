package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import livetalk.io.Checkpoint;
import livetalk.io.SafetensorsFile;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.model.audio.AudioFeatures;
import livetalk.model.audio.Wav2Vec2;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/** Waveform → features through {@link AudioFeatures}, trimming and padding included. */
class AudioFeaturesTest {
    static final Path GOLDEN = Path.of("golden");

    @Test
    void waveformToFeaturesMatchesTheGolden() {
        try (Checkpoint w = SafetensorsFile.open(GOLDEN.resolve("wav2vec_tiny.safetensors"));
             Checkpoint trace = SafetensorsFile.open(GOLDEN.resolve("wav2vec_forward.safetensors"));
             Backend be = new CpuBackend()) {
            Wav2Vec2 model = new Wav2Vec2(be, w);
            float[] wave = trace.get("waveform").toFloatArray();
            int seqLen = (int) trace.get("seq_len").toLongArray()[0];
            int latent = (seqLen + 3) / 4;
            assertEquals(wave.length, AudioFeatures.samplesFor(latent));
            float[] expected = trace.get("audio_features").toFloatArray();
            float[] got = AudioFeatures.compute(model, wave, latent, false);
            Props.assertClose(expected, got, 1e-4, "audio_features");

            // Longer audio is cut to the clip: the same features.
            float[] longer = java.util.Arrays.copyOf(wave, wave.length + 5000);
            java.util.Arrays.fill(longer, wave.length, longer.length, 0.3f);
            assertArrayEquals(got, AudioFeatures.compute(model, longer, latent, false));

            // Shorter audio: padded with zeros (same as explicit zeros), or stretched (official).
            float[] shorter = java.util.Arrays.copyOf(wave, wave.length - 3000);
            float[] padded = AudioFeatures.compute(model, shorter, latent, true);
            assertArrayEquals(AudioFeatures.compute(model, java.util.Arrays.copyOf(shorter, wave.length), latent, false), padded);
            assertEquals(expected.length, AudioFeatures.compute(model, shorter, latent, false).length);
        }
    }
}
