package livetalk.session;

/**
 * Input a user supplied (a file, an option, a request) that cannot be used as given. The CLI
 * prints its message as one line; the server answers it with a 4xx JSON error.
 */
public class InputException extends RuntimeException {
    public InputException(String message) {
        super(message);
    }
}
