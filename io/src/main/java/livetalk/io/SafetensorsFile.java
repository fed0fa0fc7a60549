package livetalk.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;

/**
 * A safetensors file, memory-mapped: an 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {..}}}, then the raw
 * little-endian data. Tensors are zero-copy views of the mapping (files over 2 GB included).
 *
 * <p>The header is validated before anything is mapped as a tensor: its size, its JSON, every
 * dtype, every shape, and every byte range (inside the data, equal to dtype × shape, no overlaps).
 */
public final class SafetensorsFile extends NamedTensors {
    /** The limit the reference implementation also uses: larger headers are refused, not parsed. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private final Arena arena;

    private SafetensorsFile(Path path, Arena arena, Map<String, Tensor> tensors, Map<String, String> metadata) {
        super(path, tensors, metadata);
        this.arena = arena;
    }

    public static SafetensorsFile open(Path path) {
        return mapAndParse(path, SafetensorsFile::parse);
    }

    /** Parses a safetensors image that is already in memory (used for tests and embedded data). */
    public static SafetensorsFile parse(Path path, MemorySegment file, Arena arena) {
        long size = file.byteSize();
        if (size < 8) {
            throw new CheckpointException(path + ": not a safetensors file: " + size + " bytes, shorter than the 8-byte header length");
        }
        long headerLen = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
            throw new CheckpointException(path + ": safetensors header length " + Long.toUnsignedString(headerLen)
                    + " bytes is outside [2, " + MAX_HEADER_BYTES + "]");
        }
        if (headerLen > size - 8) {
            throw new CheckpointException(path + ": safetensors header length " + headerLen + " runs past the end of the "
                    + size + "-byte file (truncated?)");
        }
        byte[] hb = file.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
        String headerText;
        try {
            headerText = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(hb)).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(path + ": safetensors header is not valid UTF-8");
        }
        Object root;
        try {
            root = Json.parse(headerText.stripTrailing()); // writers may pad the header with spaces
        } catch (Json.ParseException e) {
            throw new CheckpointException(path + ": safetensors header is not well-formed JSON: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> header)) {
            throw new CheckpointException(path + ": safetensors header is not a JSON object");
        }
        long dataStart = 8 + headerLen;
        long dataLen = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        }
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> md)) {
                    throw new CheckpointException(path + ": __metadata__ is not a JSON object");
                }
                for (Map.Entry<?, ?> me : md.entrySet()) {
                    if (!(me.getValue() instanceof String sv)) {
                        throw new CheckpointException(path + ": __metadata__ value of '" + me.getKey() + "' is not a string");
                    }
                    metadata.put((String) me.getKey(), sv);
                }
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> info)) {
                throw new CheckpointException(path + ": tensor '" + name + "': header entry is not a JSON object");
            }
            if (!(info.get("dtype") instanceof String dts)) {
                throw new CheckpointException(path + ": tensor '" + name + "': missing string field 'dtype'");
            }
            DType dtype = DType.fromSafetensorsName(dts);
            if (dtype == null) {
                throw new CheckpointException(path + ": tensor '" + name + "': unsupported dtype '" + dts + "' (expected F32, BF16, F16 or I64)");
            }
            long[] shape = longs(path, name, "shape", info.get("shape"), -1);
            long[] off = longs(path, name, "data_offsets", info.get("data_offsets"), 2);
            long numel;
            try {
                numel = Tensor.numel(shape);
                Math.multiplyExact(numel, dtype.byteSize());
            } catch (ArithmeticException ex) {
                throw new CheckpointException(path + ": tensor '" + name + "': shape " + java.util.Arrays.toString(shape) + " is too large");
            }
            if (off[0] > off[1] || off[1] > dataLen) {
                throw new CheckpointException(path + ": tensor '" + name + "': data_offsets [" + off[0] + ", " + off[1]
                        + "] run outside the " + dataLen + "-byte data section (truncated file?)");
            }
            if (off[1] - off[0] != numel * dtype.byteSize()) {
                throw new CheckpointException(path + ": tensor '" + name + "': data_offsets span " + (off[1] - off[0]) + " bytes but "
                        + dtype + " " + java.util.Arrays.toString(shape) + " needs " + numel * dtype.byteSize());
            }
            entries.add(new Entry(name, dtype, shape, off[0], off[1]));
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort((a, b) -> Long.compare(a.begin, b.begin));
        for (int i = 1; i < byOffset.size(); i++) {
            Entry prev = byOffset.get(i - 1), cur = byOffset.get(i);
            if (cur.begin < prev.end) {
                throw new CheckpointException(path + ": tensors '" + prev.name + "' and '" + cur.name + "' overlap in the data section");
            }
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            tensors.put(e.name, Tensor.of(e.dtype, file.asSlice(dataStart + e.begin, e.end - e.begin), e.shape));
        }
        return new SafetensorsFile(path, arena, tensors, metadata);
    }

    private static long[] longs(Path path, String name, String field, Object v, int expectLen) {
        if (!(v instanceof List<?> l) || (expectLen >= 0 && l.size() != expectLen)) {
            throw new CheckpointException(path + ": tensor '" + name + "': field '" + field + "' must be an array"
                    + (expectLen >= 0 ? " of " + expectLen + " integers" : " of integers"));
        }
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Long x) || x < 0) {
                throw new CheckpointException(path + ": tensor '" + name + "': field '" + field + "' holds " + l.get(i)
                        + ", expected a non-negative integer");
            }
            out[i] = x;
        }
        return out;
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
