package livetalk.server;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import livetalk.io.MediaException;
import livetalk.io.audio.Resampler;
import livetalk.io.audio.WavReader;
import livetalk.session.BlockClock;

/** Audio conversions at the server's edges: WAV bytes and 16-bit PCM to the session's 16 kHz float mono, and back. */
public final class Pcm {
    private Pcm() {
    }

    /** A WAV file's bytes → 16 kHz mono; a clear 4xx if it is not a WAV this reader knows. */
    public static float[] wavTo16k(byte[] wav, String what) {
        WavReader.Audio a;
        try {
            a = WavReader.parse(wav, what);
        } catch (MediaException e) {
            throw new ApiException(415, e.getMessage());
        }
        if (a.samples().length == 0) throw new ApiException(422, what + ": the WAV holds no samples");
        return Resampler.resample(a.samples(), a.sampleRate(), BlockClock.SAMPLE_RATE);
    }

    /** Little-endian signed 16-bit mono at {@code rate} → 16 kHz floats. */
    public static float[] pcm16To16k(byte[] pcm, int offset, int length, int rate) {
        int n = length / 2;
        float[] x = new float[n];
        ByteBuffer b = ByteBuffer.wrap(pcm, offset, length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) x[i] = b.getShort() / 32768f;
        return rate == BlockClock.SAMPLE_RATE ? x : Resampler.resample(x, rate, BlockClock.SAMPLE_RATE);
    }

    /** Floats in [−1, 1] → little-endian 16-bit, clipped. */
    public static byte[] toPcm16(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(2 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : x) b.putShort((short) Math.round(Math.max(-1f, Math.min(1f, v)) * 32767f));
        return b.array();
    }

    /** A 16-bit mono WAV file of {@code x} at {@code rate}. */
    public static byte[] wav(float[] x, int rate) {
        byte[] pcm = toPcm16(x);
        ByteBuffer b = ByteBuffer.allocate(44 + pcm.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + pcm.length).put("WAVE".getBytes()).put("fmt ".getBytes()).putInt(16)
                .putShort((short) 1).putShort((short) 1).putInt(rate).putInt(2 * rate).putShort((short) 2).putShort((short) 16)
                .put("data".getBytes()).putInt(pcm.length).put(pcm);
        return b.array();
    }
}
