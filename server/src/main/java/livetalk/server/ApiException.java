package livetalk.server;

/** A request the server refuses: answered with {@code status} and {@code {"error": message}}; the server carries on. */
public final class ApiException extends RuntimeException {
    private final int status;

    public ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
