package livetalk.tensor;

/** Element types the engine stores. Names match the safetensors header spelling. */
public enum DType {
    F32(4), BF16(2), F16(2), I64(8);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloat() {
        return this != I64;
    }

    /** The dtype for a safetensors header name, or null when the engine does not know it. */
    public static DType fromSafetensorsName(String name) {
        return switch (name) {
            case "F32" -> F32;
            case "BF16" -> BF16;
            case "F16" -> F16;
            case "I64" -> I64;
            default -> null;
        };
    }
}
