package livetalk.io.video;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import livetalk.io.MediaException;
import org.jcodec.api.SequenceEncoder;
import org.jcodec.common.io.NIOUtils;
import org.jcodec.common.io.SeekableByteChannel;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Picture;
import org.jcodec.common.model.Rational;

/**
 * The pure-Java fallback when ffmpeg is not installed: H.264 (Baseline) in MP4 through jcodec, which
 * browsers and players show. jcodec has no AAC encoder, and browsers do not play PCM audio in MP4,
 * so the audio is not muxed: the original audio file is copied beside the video as
 * {@code NAME.wav} and the user is told.
 */
final class JavaVideoWriter implements VideoWriter {
    private final Path out;
    private final Path partial;
    private final Path audio;
    private final int width, height;
    private final SeekableByteChannel channel;
    private final SequenceEncoder encoder;
    private final Picture picture;
    private int frames;
    private boolean closed;

    JavaVideoWriter(Path out, int width, int height, int fps, Path audio) {
        this.out = out.toAbsolutePath();
        this.width = width;
        this.height = height;
        this.audio = audio;
        Path dir = this.out.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new MediaException(out + ": the directory " + dir + " does not exist");
        }
        this.partial = dir.resolve("." + this.out.getFileName() + ".partial");
        try {
            this.channel = NIOUtils.writableChannel(partial.toFile());
            this.encoder = SequenceEncoder.createWithFps(channel, Rational.R(fps, 1));
        } catch (IOException e) {
            throw new MediaException(out + ": cannot start the video encoder (" + e.getMessage() + ")");
        }
        this.picture = Picture.create(width, height, ColorSpace.RGB);
    }

    @Override
    public synchronized void frame(byte[] rgb) {
        if (closed) throw new IllegalStateException("video writer already closed");
        if (rgb.length != width * height * 3) {
            throw new IllegalArgumentException("frame of " + rgb.length + " bytes, expected " + width + "x" + height + "x3");
        }
        byte[] plane = picture.getPlaneData(0);
        for (int i = 0; i < rgb.length; i++) plane[i] = (byte) ((rgb[i] & 0xFF) - 128); // jcodec stores samples offset by -128
        try {
            encoder.encodeNativeFrame(picture);
            frames++;
        } catch (IOException e) {
            abort();
            throw new MediaException(out + ": cannot encode frame " + frames + " (" + e.getMessage() + ")");
        }
    }

    @Override
    public synchronized int frames() {
        return frames;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            encoder.finish();
            channel.close();
            Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            abort();                               // no partial file is ever left behind
            throw new MediaException(out + ": cannot finish the video (" + e.getMessage() + ")");
        }
        if (audio == null) return;
        Path wav = wavBeside(out), tmp = wav.resolveSibling("." + wav.getFileName() + ".partial");
        try {
            Files.copy(audio, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, wav, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
            throw new MediaException(wav + ": cannot copy the audio beside the video (" + e.getMessage() + ")");
        }
    }

    @Override
    public synchronized void abort() {
        closed = true;
        try {
            channel.close();
            Files.deleteIfExists(partial);
        } catch (IOException ignored) {
            // best effort
        }
    }

    @Override
    public String description() {
        return audio == null ? "H.264 via jcodec (pure Java; install ffmpeg for AAC audio in the file)"
                : "H.264 via jcodec (pure Java), audio beside it as " + wavBeside(out).getFileName() + " (install ffmpeg to mux AAC audio)";
    }

    static Path wavBeside(Path video) {
        String n = video.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return video.resolveSibling((dot > 0 ? n.substring(0, dot) : n) + ".wav");
    }
}
