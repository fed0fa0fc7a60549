package livetalk.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import livetalk.io.PickleReader.Global;
import livetalk.io.PickleReader.Tuple;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;
import livetalk.tensor.TensorException;

/**
 * A PyTorch zip checkpoint ({@code torch.save}), memory-mapped: a zip of stored entries
 * {@code <root>/data.pkl} (the object tree, read by {@link PickleReader}) and
 * {@code <root>/data/<key>} (one raw little-endian storage each). Tensors are zero-copy views of
 * the mapping; a non-contiguous tensor (a transposed or sliced one) stays a strided view.
 *
 * <p>Only state dicts can be read: nested dicts (and lists) of tensors, flattened to
 * {@code .}-joined names in pickle order. A top level that is just {@code {"state_dict": ..}} or
 * {@code {"model": ..}} is unwrapped. Non-tensor scalars (str, int, float, bool) become metadata.
 * The pickle may name only the globals a state dict needs; anything else is refused.
 */
public final class PthReader extends NamedTensors {
    /** data.pkl of a large model is a few MB; a bigger one is a corrupted directory. */
    static final long MAX_PICKLE_BYTES = 256L << 20;
    private static final int MAX_NESTING = 64;

    private final Arena arena;
    private final MemorySegment file;

    private PthReader(Path path, Arena arena, MemorySegment file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        super(path, tensors, metadata);
        this.arena = arena;
        this.file = file;
    }

    public static PthReader open(Path path) {
        return mapAndParse(path, PthReader::parse);
    }

    /** Parses a checkpoint image already in memory; tensors are views of {@code file}. */
    public static PthReader parse(Path path, MemorySegment file, Arena arena) {
        try {
            return parseChecked(path, file, arena);
        } catch (CheckpointException e) {
            throw e;
        } catch (RuntimeException e) {
            // A safety net: every check above should have caught a damaged file first.
            throw new CheckpointException(path + ": damaged PyTorch checkpoint (" + e + ")", e);
        }
    }

    private static PthReader parseChecked(Path path, MemorySegment file, Arena arena) {
        ZipIndex zip = ZipIndex.read(path.toString(), file);
        String root = findRoot(path, zip);
        ZipIndex.Entry order = zip.entries().get(root + "byteorder");
        if (order != null) {
            MemorySegment b = zip.data(order);
            String s = b.byteSize() <= 16 ? new String(b.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII).strip() : "?";
            if (!s.equals("little")) {
                throw new CheckpointException(path + ": byte order '" + s + "' is not supported (only little-endian checkpoints)");
            }
        }
        ZipIndex.Entry pklEntry = zip.entries().get(root + "data.pkl");
        if (pklEntry.size() > MAX_PICKLE_BYTES) {
            throw new CheckpointException(path + ": " + pklEntry.name() + " is " + pklEntry.size() + " bytes, more than the "
                    + MAX_PICKLE_BYTES + " a state dict needs (corrupted?)");
        }
        MemorySegment pkl = zip.data(pklEntry);
        Object top = PickleReader.load(path + " (" + pklEntry.name() + ")", pkl, new TorchHost(path, zip, root));
        if (!(top instanceof Map<?, ?> dict)) {
            throw new CheckpointException(path + ": the checkpoint holds a " + PickleReader.typeName(top) + ", not a dict of tensors");
        }
        if (dict.size() == 1) {
            Object only = dict.keySet().iterator().next();
            if (("state_dict".equals(only) || "model".equals(only)) && dict.get(only) instanceof Map<?, ?> inner) {
                dict = inner;
            }
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        flatten(path, named(path, dict), "", tensors, metadata, 0);
        return new PthReader(path, arena, file, tensors, metadata);
    }

    /** The folder holding data.pkl: torch.save names it after the file ("model/data.pkl"). */
    private static String findRoot(Path path, ZipIndex zip) {
        for (String name : zip.entries().keySet()) {
            if (name.endsWith("data.pkl")) {
                String root = name.substring(0, name.length() - "data.pkl".length());
                if (root.isEmpty() || (root.endsWith("/") && root.indexOf('/') == root.length() - 1)) {
                    return root;
                }
            }
        }
        throw new CheckpointException(path + ": a zip file but not a PyTorch checkpoint: no <name>/data.pkl among its "
                + zip.entries().size() + " entries");
    }

    /** A dict's items with their keys as names (values may be None, so no Map.entry). */
    private static List<Map.Entry<String, Object>> named(Path path, Map<?, ?> m) {
        List<Map.Entry<String, Object>> out = new java.util.ArrayList<>(m.size());
        for (Map.Entry<?, ?> e : m.entrySet()) {
            out.add(new AbstractMap.SimpleImmutableEntry<>(key(path, e.getKey()), e.getValue()));
        }
        return out;
    }

    private static String key(Path path, Object k) {
        if (k instanceof String s) return s;
        if (k instanceof Long l) return l.toString();
        throw new CheckpointException(path + ": state dict key of type " + PickleReader.typeName(k) + " (expected str)");
    }

    private static void flatten(Path path, List<Map.Entry<String, Object>> items, String prefix, Map<String, Tensor> tensors,
            Map<String, String> metadata, int depth) {
        if (depth > MAX_NESTING) {
            throw new CheckpointException(path + ": dicts nested deeper than " + MAX_NESTING + " at '" + prefix + "'");
        }
        for (Map.Entry<String, Object> e : items) {
            String name = prefix + e.getKey();
            Object v = e.getValue();
            if (v instanceof Tensor t) {
                if (tensors.put(name, t) != null) {
                    throw new CheckpointException(path + ": tensor name '" + name + "' occurs twice after flattening nested dicts");
                }
            } else if (v instanceof Map<?, ?> m) {
                flatten(path, named(path, m), name + ".", tensors, metadata, depth + 1);
            } else if (v instanceof List<?> || v instanceof Tuple) {
                List<?> l = v instanceof Tuple t ? t.items() : (List<?>) v;
                List<Map.Entry<String, Object>> indexed = new java.util.ArrayList<>();
                for (int i = 0; i < l.size(); i++) {
                    Object x = l.get(i);
                    if (x != null) indexed.add(new AbstractMap.SimpleImmutableEntry<>(Integer.toString(i), x));
                }
                flatten(path, indexed, name + ".", tensors, metadata, depth + 1);
            } else if (v instanceof String || v instanceof Number || v instanceof Boolean) {
                metadata.put(name, String.valueOf(v));
            }
            // None and other values (dtype objects, bytes) carry nothing a model loads.
        }
    }

    /** A storage type global: the tensor dtype it holds, or null for one the engine does not support. */
    private record StorageType(String name, DType dtype, int elementBytes) {
    }

    /** A loaded storage: its bytes in the mapping. */
    private record Storage(String key, StorageType type, MemorySegment bytes) {
    }

    private static final Global ORDERED_DICT = new Global("collections", "OrderedDict");
    private static final Global REBUILD_TENSOR_V2 = new Global("torch._utils", "_rebuild_tensor_v2");
    private static final Global REBUILD_PARAMETER = new Global("torch._utils", "_rebuild_parameter");
    private static final Global REBUILD_PARAMETER_WITH_STATE = new Global("torch._utils", "_rebuild_parameter_with_state");

    /** The torch side of unpickling: the allowed globals, calls and persistent ids. */
    private static final class TorchHost implements PickleReader.Host {
        private final Path path;
        private final ZipIndex zip;
        private final String root;

        TorchHost(Path path, ZipIndex zip, String root) {
            this.path = path;
            this.zip = zip;
            this.root = root;
        }

        private CheckpointException error(String what) {
            return new CheckpointException(path + ": " + what);
        }

        @Override
        public Object global(String module, String name) {
            Global g = new Global(module, name);
            if (g.equals(ORDERED_DICT) || g.equals(REBUILD_TENSOR_V2) || g.equals(REBUILD_PARAMETER)
                    || g.equals(REBUILD_PARAMETER_WITH_STATE)) {
                return g;
            }
            if (module.equals("torch") || module.equals("torch.storage")) {
                StorageType st = switch (name) {
                    case "FloatStorage" -> new StorageType(name, DType.F32, 4);
                    case "BFloat16Storage" -> new StorageType(name, DType.BF16, 2);
                    case "HalfStorage" -> new StorageType(name, DType.F16, 2);
                    case "LongStorage" -> new StorageType(name, DType.I64, 8);
                    case "UntypedStorage", "ByteStorage" -> new StorageType(name, null, 1);
                    default -> null;
                };
                if (st != null) return st;
                DType dt = switch (name) {
                    case "float32", "float" -> DType.F32;
                    case "bfloat16" -> DType.BF16;
                    case "float16", "half" -> DType.F16;
                    case "int64", "long" -> DType.I64;
                    default -> null;
                };
                if (dt != null && module.equals("torch")) return dt;
            }
            throw error("unsupported pickle global '" + g + "' (only state dicts of F32/BF16/F16/I64 tensors can be read)");
        }

        @Override
        public Object call(Object callable, Tuple args) {
            if (ORDERED_DICT.equals(callable)) {
                Map<Object, Object> m = new LinkedHashMap<>();
                if (args.size() == 1 && args.get(0) instanceof List<?> pairs) {
                    for (Object p : pairs) {
                        if (!(p instanceof Tuple kv) || kv.size() != 2 || !(kv.get(0) instanceof String k)) {
                            throw error("OrderedDict() item is not a (str, value) pair");
                        }
                        m.put(k, kv.get(1));
                    }
                } else if (args.size() != 0) {
                    throw error("OrderedDict() called with " + args.size() + " arguments");
                }
                return m;
            }
            if (REBUILD_TENSOR_V2.equals(callable)) {
                return rebuildTensor(args);
            }
            if (REBUILD_PARAMETER.equals(callable) || REBUILD_PARAMETER_WITH_STATE.equals(callable)) {
                if (args.size() < 1 || !(args.get(0) instanceof Tensor t)) {
                    throw error(callable + "() needs a tensor as its first argument");
                }
                return t;
            }
            throw error("cannot call a " + PickleReader.typeName(callable) + " (REDUCE on something that is not an allowed function)");
        }

        /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}. */
        private Tensor rebuildTensor(Tuple args) {
            if (args.size() < 4 || !(args.get(0) instanceof Storage s) || !(args.get(1) instanceof Long offset)
                    || !(args.get(2) instanceof Tuple size) || !(args.get(3) instanceof Tuple stride)) {
                throw error("_rebuild_tensor_v2() arguments are not (storage, offset, size, stride, ...)");
            }
            long[] shape = longs(size, "size");
            long[] strides = longs(stride, "stride");
            if (shape.length != strides.length) {
                throw error("tensor on storage '" + s.key + "': size " + Arrays.toString(shape) + " and stride "
                        + Arrays.toString(strides) + " differ in rank");
            }
            if (s.type.dtype == null) {
                throw error("tensor on storage '" + s.key + "' has type " + s.type.name + "; only F32, BF16, F16 and I64 are supported");
            }
            try {
                return Tensor.strided(s.type.dtype, s.bytes, offset, shape, strides);
            } catch (TensorException | ArithmeticException e) {
                throw error("tensor on storage '" + s.key + "' (" + s.bytes.byteSize() / s.type.elementBytes + " " + s.type.dtype
                        + " elements): offset " + offset + ", size " + Arrays.toString(shape) + ", stride "
                        + Arrays.toString(strides) + " reaches outside it");
            }
        }

        private long[] longs(Tuple t, String what) {
            long[] out = new long[t.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(t.get(i) instanceof Long v) || v < 0) {
                    // the value itself is printed only when it is a number: a container may contain itself
                    Object x = t.get(i);
                    throw error("tensor " + what + " holds " + PickleReader.typeName(x) + (x instanceof Long ? " " + x : "")
                            + ", expected a non-negative int");
                }
                out[i] = v;
            }
            return out;
        }

        @Override
        public Object build(Object obj, Object state) {
            // An OrderedDict's state is its _metadata attribute (module versions): nothing to load.
            if (obj instanceof Map<?, ?> || obj instanceof Tensor) {
                return obj;
            }
            throw error("BUILD on a " + PickleReader.typeName(obj) + " is not supported");
        }

        /** {@code ('storage', storage_type, key, location, numel)}. */
        @Override
        public Object persistentLoad(Object pid) {
            if (!(pid instanceof Tuple t) || t.size() != 5 || !"storage".equals(t.get(0)) || !(t.get(1) instanceof StorageType type)
                    || !(t.get(2) instanceof String key) || !(t.get(4) instanceof Long numel) || numel < 0) {
                throw error("persistent id is not ('storage', type, key, location, numel)");
            }
            ZipIndex.Entry e = zip.entries().get(root + "data/" + key);
            if (e == null) {
                throw error("storage '" + key + "' is missing: no zip entry " + root + "data/" + key);
            }
            MemorySegment bytes = zip.data(e);
            if (numel > bytes.byteSize() / type.elementBytes) {
                throw error("storage '" + key + "' should hold " + numel + " " + type.name + " elements but its entry has "
                        + bytes.byteSize() + " bytes");
            }
            return new Storage(key, type, bytes.asSlice(0, numel * type.elementBytes));
        }
    }

    /** The whole mapped file (tests check that tensors lie inside it). */
    MemorySegment mapping() {
        return file;
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
