package livetalk.io;

/**
 * A media file (audio, image, video) that cannot be read: not the promised format, truncated,
 * empty or in an unsupported encoding. The message names the file and what was found.
 */
public class MediaException extends RuntimeException {
    public MediaException(String message) {
        super(message);
    }

    public MediaException(String message, Throwable cause) {
        super(message, cause);
    }
}
