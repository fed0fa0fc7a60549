package livetalk.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, restricted pickle virtual machine: the opcodes {@code torch.save} (protocol 2) and
 * protocol 4 framing use, nothing that runs code. Python values become Java ones: str
 * {@code String}, int {@code Long} (or {@code BigInteger} past 64 bits), float {@code Double},
 * bool {@code Boolean}, None {@code null}, bytes {@code byte[]}, list {@code ArrayList}, dict an
 * insertion-ordered {@code LinkedHashMap}, tuple {@link Tuple}. Globals, calls ({@code REDUCE}),
 * {@code BUILD} and persistent ids are handed to a {@link Host}, which decides what is allowed.
 *
 * <p>Every count and length is checked against the bytes actually present and against fixed
 * budgets, so a corrupted pickle ends in a {@link CheckpointException}, never an exhausted heap or
 * stack or a loop.
 */
final class PickleReader {
    /** Most objects one pickle may create (a state dict needs about 15 per tensor). */
    static final int MAX_OBJECTS = 4_000_000;
    /** Deepest nesting of tuples allowed in a dict key (hashing recurses). */
    private static final int MAX_KEY_DEPTH = 16;

    /** A Python tuple: immutable, compared by value. */
    record Tuple(List<Object> items) {
        Tuple(Object... items) {
            this(Collections.unmodifiableList(Arrays.asList(items)));
        }

        int size() {
            return items.size();
        }

        Object get(int i) {
            return items.get(i);
        }
    }

    /** A global reference {@code module.name}, as the host resolved it. */
    record Global(String module, String name) {
        @Override
        public String toString() {
            return module + "." + name;
        }
    }

    /** What the file may do: the host resolves globals and runs the few calls it allows. */
    interface Host {
        /** The object a {@code GLOBAL}/{@code STACK_GLOBAL} stands for; throw for anything not allowed. */
        Object global(String module, String name);

        /** {@code callable(*args)} for a {@code REDUCE}. */
        Object call(Object callable, Tuple args);

        /** {@code obj.__setstate__(state)} for a {@code BUILD}; returns the object to leave on the stack. */
        Object build(Object obj, Object state);

        /** The object for a persistent id ({@code BINPERSID}). */
        Object persistentLoad(Object pid);
    }

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64_BE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final Object MARK = new Object() {
        @Override
        public String toString() {
            return "MARK";
        }
    };

    private final String where;
    private final MemorySegment data;
    private final long size;
    private final Host host;
    private long pos;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private long objects;

    private PickleReader(String where, MemorySegment data, Host host) {
        this.where = where;
        this.data = data;
        this.size = data.byteSize();
        this.host = host;
    }

    /**
     * Runs the pickle in {@code data} to its STOP and returns the result. {@code where} names the
     * file and entry in error messages.
     */
    static Object load(String where, MemorySegment data, Host host) {
        return new PickleReader(where, data, host).run();
    }

    private CheckpointException error(long at, String what) {
        return new CheckpointException(where + ": " + what + " (pickle byte " + at + ")");
    }

    private Object run() {
        while (true) {
            long at = pos;
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = u8();
                    if (proto > 5) throw error(at, "unsupported pickle protocol " + proto);
                }
                case 0x95 -> skip(8); // FRAME: a length hint, the bytes follow inline
                case '.' -> { // STOP
                    if (stack.size() != 1) throw error(at, "STOP with " + stack.size() + " objects on the stack, expected 1");
                    Object result = stack.getFirst();
                    if (result == MARK) throw error(at, "STOP with a MARK on the stack");
                    return result;
                }
                case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                case ')' -> push(new Tuple()); // EMPTY_TUPLE
                case '(' -> push(MARK);
                case 'X' -> push(utf8(at, u32())); // BINUNICODE
                case 0x8c -> push(utf8(at, u8())); // SHORT_BINUNICODE
                case 0x8d -> push(utf8(at, u64())); // BINUNICODE8
                case 'T' -> push(latin1(u32())); // BINSTRING (protocol 1 str)
                case 'U' -> push(latin1(u8())); // SHORT_BINSTRING
                case 'B' -> push(bytes(u32())); // BINBYTES
                case 'C' -> push(bytes(u8())); // SHORT_BINBYTES
                case 0x8e -> push(bytes(u64())); // BINBYTES8
                case 'c' -> { // GLOBAL: "module\nname\n"
                    String module = line(at);
                    String name = line(at);
                    push(host.global(module, name));
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(at);
                    Object module = pop(at);
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw error(at, "STACK_GLOBAL needs two strings");
                    }
                    push(host.global(m, n));
                }
                case 'Q' -> push(host.persistentLoad(pop(at))); // BINPERSID
                case 'J' -> push((long) u32signed()); // BININT
                case 'K' -> push((long) u8()); // BININT1
                case 'M' -> push((long) (u8() | (u8() << 8))); // BININT2
                case 0x8a -> push(longN(u8())); // LONG1
                case 0x8b -> push(longN(u32())); // LONG4
                case 'G' -> { // BINFLOAT: big-endian double
                    need(8);
                    double d = data.get(F64_BE, pos);
                    pos += 8;
                    push(d);
                }
                case 't' -> push(new Tuple(popToMark(at).toArray())); // TUPLE
                case 0x85 -> push(new Tuple(pop(at))); // TUPLE1
                case 0x86 -> { // TUPLE2
                    Object b = pop(at), a = pop(at);
                    push(new Tuple(a, b));
                }
                case 0x87 -> { // TUPLE3
                    Object c = pop(at), b = pop(at), a = pop(at);
                    push(new Tuple(a, b, c));
                }
                case 0x89 -> push(Boolean.FALSE); // NEWFALSE
                case 0x88 -> push(Boolean.TRUE); // NEWTRUE
                case 'N' -> push(null); // NONE
                case 'R' -> { // REDUCE
                    Object args = pop(at);
                    Object callable = pop(at);
                    if (!(args instanceof Tuple t)) throw error(at, "REDUCE arguments are not a tuple");
                    push(host.call(callable, t));
                }
                case 'b' -> { // BUILD
                    Object state = pop(at);
                    Object obj = pop(at);
                    push(host.build(obj, state));
                }
                case 's' -> { // SETITEM
                    Object v = pop(at), k = pop(at);
                    dictPut(at, peek(at), k, v);
                }
                case 'u' -> { // SETITEMS
                    List<Object> kv = popToMark(at);
                    if (kv.size() % 2 != 0) throw error(at, "SETITEMS with an odd number of items");
                    Object dict = peek(at);
                    for (int i = 0; i < kv.size(); i += 2) dictPut(at, dict, kv.get(i), kv.get(i + 1));
                }
                case 'a' -> { // APPEND
                    Object v = pop(at);
                    list(at, peek(at)).add(v);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popToMark(at);
                    list(at, peek(at)).addAll(items);
                }
                case 'd' -> { // DICT (from MARK)
                    List<Object> kv = popToMark(at);
                    if (kv.size() % 2 != 0) throw error(at, "DICT with an odd number of items");
                    Map<Object, Object> m = new LinkedHashMap<>();
                    for (int i = 0; i < kv.size(); i += 2) dictPut(at, m, kv.get(i), kv.get(i + 1));
                    push(m);
                }
                case 'l' -> push(new ArrayList<>(popToMark(at))); // LIST (from MARK)
                case '0' -> pop(at); // POP
                case '1' -> popToMark(at); // POP_MARK
                case '2' -> push(peek(at)); // DUP
                case 'q' -> memoPut(at, u8()); // BINPUT
                case 'r' -> memoPut(at, u32()); // LONG_BINPUT
                case 0x94 -> memoPut(at, memo.size()); // MEMOIZE
                case 'h' -> push(memoGet(at, u8())); // BINGET
                case 'j' -> push(memoGet(at, u32())); // LONG_BINGET
                default -> throw error(at, String.format("unsupported pickle opcode 0x%02x%s", op,
                        op >= 0x20 && op < 0x7f ? " ('" + (char) op + "')" : ""));
            }
        }
    }

    // ------------------------------------------------------------------ stack

    private void push(Object o) {
        if (++objects > MAX_OBJECTS) {
            throw error(pos, "more than " + MAX_OBJECTS + " pickle objects (corrupted file?)");
        }
        stack.add(o);
    }

    private Object pop(long at) {
        if (stack.isEmpty()) throw error(at, "pickle stack underflow");
        Object o = stack.removeLast();
        if (o == MARK) throw error(at, "unexpected MARK on the pickle stack");
        return o;
    }

    private Object peek(long at) {
        if (stack.isEmpty()) throw error(at, "pickle stack underflow");
        Object o = stack.getLast();
        if (o == MARK) throw error(at, "unexpected MARK on the pickle stack");
        return o;
    }

    /** Removes everything above the topmost MARK, and the MARK. */
    private List<Object> popToMark(long at) {
        int m = stack.lastIndexOf(MARK);
        if (m < 0) throw error(at, "no MARK on the pickle stack");
        List<Object> top = stack.subList(m + 1, stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        stack.removeLast();
        return items;
    }

    private void memoPut(long at, long key) {
        if (memo.size() >= MAX_OBJECTS && !memo.containsKey(key)) {
            throw error(at, "more than " + MAX_OBJECTS + " memo entries (corrupted file?)");
        }
        memo.put(key, peek(at));
    }

    private Object memoGet(long at, long key) {
        Object o = memo.get(key);
        if (o == null && !memo.containsKey(key)) throw error(at, "memo entry " + key + " was never stored");
        return o;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(long at, Object o) {
        if (!(o instanceof ArrayList<?>)) throw error(at, "APPEND to a " + typeName(o) + ", not a list");
        return (List<Object>) o;
    }

    @SuppressWarnings("unchecked")
    private void dictPut(long at, Object dict, Object k, Object v) {
        if (!(dict instanceof LinkedHashMap<?, ?>)) throw error(at, "SETITEM on a " + typeName(dict) + ", not a dict");
        if (!hashable(k, 0)) throw error(at, "dict key of type " + typeName(k) + " is not supported");
        ((Map<Object, Object>) dict).put(k, v);
    }

    /** Keys must be plain values: lists and dicts are unhashable in Python, and could contain themselves. */
    private static boolean hashable(Object k, int depth) {
        if (k == null || k instanceof String || k instanceof Long || k instanceof Double || k instanceof Boolean
                || k instanceof BigInteger || k instanceof Global) {
            return true;
        }
        if (k instanceof Tuple t && depth < MAX_KEY_DEPTH) {
            for (Object o : t.items()) {
                if (!hashable(o, depth + 1)) return false;
            }
            return true;
        }
        return false;
    }

    static String typeName(Object o) {
        if (o == null) return "None";
        if (o instanceof String) return "str";
        if (o instanceof Long || o instanceof BigInteger) return "int";
        if (o instanceof Double) return "float";
        if (o instanceof Boolean) return "bool";
        if (o instanceof Tuple) return "tuple";
        if (o instanceof List<?>) return "list";
        if (o instanceof Map<?, ?>) return "dict";
        if (o instanceof byte[]) return "bytes";
        if (o instanceof Global g) return g.toString();
        return o.getClass().getSimpleName();
    }

    // ------------------------------------------------------------------ reading bytes

    private void need(long n) {
        if (n < 0 || n > size - pos) {
            throw error(pos, "needs " + (n < 0 ? Long.toUnsignedString(n) : n) + " bytes but only " + (size - pos)
                    + " remain (truncated or corrupted pickle)");
        }
    }

    private void skip(long n) {
        need(n);
        pos += n;
    }

    private int u8() {
        need(1);
        return data.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
    }

    private int u32signed() {
        need(4);
        int v = data.get(I32, pos);
        pos += 4;
        return v;
    }

    private long u32() {
        return u32signed() & 0xFFFFFFFFL;
    }

    private long u64() {
        need(8);
        long v = data.get(I64, pos);
        pos += 8;
        return v; // a negative value (past 2^63) fails need() as too long
    }

    private byte[] bytes(long n) {
        need(n);
        byte[] b = data.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
        pos += n;
        return b;
    }

    private String utf8(long at, long n) {
        byte[] b = bytes(n);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw error(at, "string is not valid UTF-8");
        }
    }

    private String latin1(long n) {
        return new String(bytes(n), StandardCharsets.ISO_8859_1);
    }

    /** A newline-terminated ASCII line (GLOBAL's operands), at most 256 bytes. */
    private String line(long at) {
        long start = pos;
        while (true) {
            if (pos - start > 256) throw error(at, "GLOBAL name longer than 256 bytes");
            int c = u8();
            if (c == '\n') break;
            if (c < 0x20 || c >= 0x7f) throw error(at, "GLOBAL name holds a non-printable byte");
        }
        return new String(data.asSlice(start, pos - 1 - start).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
    }

    /** A little-endian two's-complement integer of n bytes (LONG1, LONG4). */
    private Object longN(long n) {
        if (n > 1024) throw error(pos, "integer of " + n + " bytes is too long");
        byte[] le = bytes(n);
        if (n == 0) return 0L;
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) be[i] = le[le.length - 1 - i];
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }
}
