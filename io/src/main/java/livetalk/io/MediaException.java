package livetalk.io;

/** An image, audio or video file that cannot be read or written as asked; the message names the file. */
public class MediaException extends RuntimeException {
    public MediaException(String message) {
        super(message);
    }

    public MediaException(String message, Throwable cause) {
        super(message, cause);
    }
}
