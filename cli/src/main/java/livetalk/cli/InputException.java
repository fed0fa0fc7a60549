package livetalk.cli;

/** A command-line argument or input file the user supplied that cannot be used as given. */
public class InputException extends livetalk.session.InputException {
    public InputException(String message) {
        super(message);
    }
}
