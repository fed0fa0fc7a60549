package livetalk.io.video;

import java.nio.file.Path;

/**
 * A video file written frame by frame, so frames can leave the pipeline as soon as they are
 * decoded. The file appears under its final name only when {@link #close()} completes; until then
 * it is written beside it, and {@link #abort()} removes it.
 */
public interface VideoWriter extends AutoCloseable {

    /** The file name extensions the writers produce (both write MP4). */
    java.util.List<String> EXTENSIONS = java.util.List.of(".mp4");

    /** One frame, 8-bit RGB interleaved {@code [H, W, 3]}. */
    void frame(byte[] rgb);

    /** Frames written so far. */
    int frames();

    /** Finishes the file (muxing the audio, if any) and moves it into place. Idempotent. */
    @Override
    void close();

    /** Stops and deletes the partial file. */
    void abort();

    /** What the writer produces, for the user: e.g. "H.264 + AAC via ffmpeg". */
    String description();

    /**
     * A writer for {@code out}: ffmpeg when it is on the PATH (H.264 + AAC, plays in browsers),
     * else the pure-Java writer (H.264 video only, audio written beside it as WAV).
     *
     * @param audio the original audio file to mux, cut to the video length; may be null
     */
    static VideoWriter open(Path out, int width, int height, int fps, Path audio) {
        if (FfmpegVideoWriter.available()) {
            return new FfmpegVideoWriter(out, width, height, fps, audio);
        }
        return new JavaVideoWriter(out, width, height, fps, audio);
    }
}
