package livetalk.io;

/**
 * A checkpoint or data file that cannot be read as promised: the message names the file, the
 * tensor or field, what was expected and what was found.
 */
public class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
