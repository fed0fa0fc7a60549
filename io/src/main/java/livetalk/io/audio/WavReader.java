package livetalk.io.audio;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import livetalk.io.MediaException;

/**
 * Reads RIFF/WAVE files: integer PCM of 8 (unsigned), 16, 24 and 32 bits and IEEE float of 32
 * and 64 bits, plain or {@code WAVE_FORMAT_EXTENSIBLE}, any channel count. Channels are mixed to
 * mono by averaging (as {@code librosa.load(mono=True)}); integers are scaled to [−1, 1) by
 * 2^(bits−1). Chunks other than {@code fmt } and {@code data} are skipped. NaN or infinite
 * float samples are refused, naming the file and the sample.
 */
public final class WavReader {
    static final int PCM = 1, IEEE_FLOAT = 3, EXTENSIBLE = 0xFFFE;

    /** Mono samples at {@code sampleRate}; {@code channels} is the channel count of the file. */
    public record Audio(float[] samples, int sampleRate, int channels) {
        public double seconds() {
            return samples.length / (double) sampleRate;
        }
    }

    private WavReader() {
    }

    /** The largest WAV file read (an hour of 16-bit 48 kHz stereo is 0.7 GB). */
    public static final long MAX_BYTES = 1L << 30;

    /**
     * Reads at most {@link #MAX_BYTES}: the header is checked after 12 bytes, so {@code /dev/zero}
     * or any other stream that is not a WAV is refused at once, and an endless one (a FIFO fed
     * forever) when it passes the limit.
     */
    public static Audio read(Path path) {
        return parse(readLimited(path, MAX_BYTES), path.toString());
    }

    static byte[] readLimited(Path path, long maxBytes) {
        if (Files.isDirectory(path)) throw new MediaException(path + ": is a directory, not a WAV file");
        try (InputStream in = Files.newInputStream(path)) {
            byte[] head = in.readNBytes(12);
            if (head.length < 12 || !tag(head, 0, "RIFF") || !tag(head, 8, "WAVE")) {
                throw new MediaException(path + ": not a WAV file (no RIFF/WAVE header)");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(head);
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                if (out.size() + (long) n > maxBytes) {
                    throw new MediaException(path + ": more than " + maxBytes + " bytes (an endless input?); WAV files are read up to "
                            + maxBytes + " bytes");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (NoSuchFileException e) {
            throw new MediaException(path + ": no such file");
        } catch (IOException e) {
            throw new MediaException(path + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    public static Audio parse(byte[] data, String name) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (data.length < 12 || !tag(data, 0, "RIFF") || !tag(data, 8, "WAVE")) {
            throw new MediaException(name + ": not a WAV file (no RIFF/WAVE header)");
        }
        int format = -1, channels = 0, rate = 0, blockAlign = 0, bits = 0;
        long pos = 12;                                          // long: chunk sizes go up to 2^32 − 1
        while (pos + 8 <= data.length) {
            int at = (int) pos;
            long size = b.getInt(at + 4) & 0xffffffffL;
            int body = at + 8;
            if (tag(data, at, "fmt ")) {
                if (size < 16 || body + size > data.length) throw new MediaException(name + ": truncated fmt chunk");
                format = b.getShort(body) & 0xffff;
                channels = b.getShort(body + 2) & 0xffff;
                rate = b.getInt(body + 4);
                blockAlign = b.getShort(body + 12) & 0xffff;
                bits = b.getShort(body + 14) & 0xffff;
                if (format == EXTENSIBLE) {
                    if (size < 40) throw new MediaException(name + ": WAVE_FORMAT_EXTENSIBLE fmt chunk of " + size + " bytes (expected 40)");
                    format = b.getShort(body + 24) & 0xffff;   // first two bytes of the SubFormat GUID
                }
            } else if (tag(data, at, "data")) {
                if (format < 0) throw new MediaException(name + ": data chunk before the fmt chunk");
                long avail = data.length - body;
                if (size == 0xffffffffL) size = avail;             // streamed file: data runs to the end
                if (size > avail) throw new MediaException(name + ": truncated data (" + size + " bytes announced, " + avail + " present)");
                return decode(b, body, (int) size, format, channels, rate, blockAlign, bits, name);
            }
            pos = body + size + (size & 1);                     // chunks are padded to even sizes
        }
        throw new MediaException(name + (format < 0 ? ": no fmt chunk" : ": no data chunk"));
    }

    private static Audio decode(ByteBuffer b, int off, int size, int format, int channels, int rate, int blockAlign, int bits, String name) {
        if (channels < 1) throw new MediaException(name + ": " + channels + " channels");
        if (rate <= 0) throw new MediaException(name + ": sample rate " + rate);
        boolean ok = (format == PCM && (bits == 8 || bits == 16 || bits == 24 || bits == 32))
                || (format == IEEE_FLOAT && (bits == 32 || bits == 64));
        if (!ok) {
            throw new MediaException(name + ": unsupported encoding (format tag " + format + ", " + bits
                    + " bits); supported: PCM 8/16/24/32-bit, IEEE float 32/64-bit");
        }
        int bytes = bits / 8;
        if (blockAlign != bytes * channels) throw new MediaException(name + ": block align " + blockAlign + " for " + channels + " × " + bits + " bits");
        int frames = size / blockAlign;
        if (size % blockAlign != 0) throw new MediaException(name + ": truncated data (" + size + " bytes is not a whole number of " + blockAlign + "-byte frames)");
        if (frames == 0) throw new MediaException(name + ": the WAV file has zero samples");
        float[] out = new float[frames];
        for (int f = 0; f < frames; f++) {
            double sum = 0;
            for (int c = 0; c < channels; c++) {
                double v = sample(b, off + f * blockAlign + c * bytes, format, bits);
                if (!Double.isFinite(v)) {
                    throw new MediaException(name + ": sample " + f + " of channel " + c + " is " + v + "; a WAV file must hold finite samples");
                }
                sum += v;
            }
            out[f] = (float) (sum / channels);
        }
        return new Audio(out, rate, channels);
    }

    private static double sample(ByteBuffer b, int p, int format, int bits) {
        if (format == IEEE_FLOAT) return bits == 32 ? b.getFloat(p) : b.getDouble(p);
        return switch (bits) {
            case 8 -> ((b.get(p) & 0xff) - 128) / 128.0;
            case 16 -> b.getShort(p) / 32768.0;
            case 24 -> ((b.get(p) & 0xff) | (b.get(p + 1) & 0xff) << 8 | b.get(p + 2) << 16) / 8388608.0;
            default -> b.getInt(p) / 2147483648.0;
        };
    }

    private static boolean tag(byte[] d, int p, String t) {
        for (int i = 0; i < 4; i++) if (d[p + i] != t.charAt(i)) return false;
        return true;
    }
}
