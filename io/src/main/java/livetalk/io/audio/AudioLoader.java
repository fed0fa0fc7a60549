package livetalk.io.audio;

import java.nio.file.Path;

/** {@code librosa.load(path, sr=rate)} for WAV files: mono float32 at {@code rate} (docs/model.md#audio-input step 1). */
public final class AudioLoader {
    public static final int WAV2VEC_RATE = 16000;

    private AudioLoader() {
    }

    public static float[] loadMono(Path path, int rate) {
        WavReader.Audio a = WavReader.read(path);
        return Resampler.resample(a.samples(), a.sampleRate(), rate);
    }
}
