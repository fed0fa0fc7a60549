package livetalk.model.text;

import java.nio.charset.StandardCharsets;

/**
 * A minimal reader of the protobuf wire format: enough to walk the fields of a SentencePiece
 * {@code ModelProto}. Unknown fields are skipped by wire type, so newer model files still read.
 */
final class ProtoReader {
    static final int VARINT = 0, I64 = 1, LEN = 2, I32 = 5;

    private final byte[] buf;
    private int pos;
    private final int end;
    private int tag;

    ProtoReader(byte[] buf) {
        this(buf, 0, buf.length);
    }

    private ProtoReader(byte[] buf, int start, int end) {
        this.buf = buf;
        this.pos = start;
        this.end = end;
    }

    /** Advances to the next field; false at the end of the message. */
    boolean next() {
        if (pos >= end) return false;
        tag = (int) varint();
        return true;
    }

    int field() {
        return tag >>> 3;
    }

    int wireType() {
        return tag & 7;
    }

    long varint() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) throw new IllegalArgumentException("truncated varint at byte " + pos);
            byte b = buf[pos++];
            v |= (long) (b & 0x7f) << shift;
            if (b >= 0) return v;
        }
        throw new IllegalArgumentException("malformed varint at byte " + pos);
    }

    int int32() {
        return (int) varint();
    }

    boolean bool() {
        return varint() != 0;
    }

    float float32() {
        require(4);
        int bits = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8 | (buf[pos + 2] & 0xff) << 16 | (buf[pos + 3] & 0xff) << 24;
        pos += 4;
        return Float.intBitsToFloat(bits);
    }

    byte[] bytes() {
        int n = (int) varint();
        require(n);
        byte[] out = new byte[n];
        System.arraycopy(buf, pos, out, 0, n);
        pos += n;
        return out;
    }

    String string() {
        return new String(bytes(), StandardCharsets.UTF_8);
    }

    /** The length-delimited field as a nested message. */
    ProtoReader message() {
        int n = (int) varint();
        require(n);
        ProtoReader r = new ProtoReader(buf, pos, pos + n);
        pos += n;
        return r;
    }

    void skip() {
        switch (wireType()) {
            case VARINT -> varint();
            case I64 -> { require(8); pos += 8; }
            case LEN -> { int n = (int) varint(); require(n); pos += n; }
            case I32 -> { require(4); pos += 4; }
            default -> throw new IllegalArgumentException("unsupported wire type " + wireType() + " at byte " + pos);
        }
    }

    private void require(int n) {
        if (n < 0 || pos + n > end) throw new IllegalArgumentException("truncated field at byte " + pos);
    }
}
