package livetalk.tensor;

/** A shape, dtype or index that does not fit the tensor it is applied to. */
public class TensorException extends RuntimeException {
    public TensorException(String message) {
        super(message);
    }
}
