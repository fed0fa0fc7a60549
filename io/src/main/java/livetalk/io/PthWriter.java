package livetalk.io;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;

/**
 * Writes a state dict as PyTorch's zip checkpoint (what {@code torch.save} produces, readable by
 * {@code torch.load}): {@code archive/data.pkl} (pickle protocol 2 of an OrderedDict of
 * {@code _rebuild_tensor_v2} calls), one stored (uncompressed) entry per tensor under
 * {@code archive/data/K}, {@code archive/byteorder} and {@code archive/version}. Used to make
 * random-weight checkpoints in the official formats; the file appears only when complete.
 */
public final class PthWriter {
    private PthWriter() {
    }

    public static void write(Path path, Map<String, Tensor> tensors) {
        Path tmp = path.toAbsolutePath().resolveSibling("." + path.getFileName() + ".partial");
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            ZipStore zip = new ZipStore(os);
            zip.entry("archive/data.pkl", pickle(tensors));
            zip.entry("archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            int key = 0;
            for (Tensor t : tensors.values()) {
                zip.entry("archive/data/" + key++, t.contiguous().segment());
            }
            zip.entry("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            zip.finish();
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // report the original error
            }
            throw new CheckpointException(path + ": cannot write (" + e.getMessage() + ")", e);
        }
        try {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot move the finished file into place (" + e.getMessage() + ")", e);
        }
    }

    // ------------------------------------------------------------------ pickle (protocol 2)

    private static byte[] pickle(Map<String, Tensor> tensors) {
        Pickler p = new Pickler();
        p.op(0x80).op(2);                                   // PROTO 2
        p.global("collections", "OrderedDict").op(')').op('R'); // OrderedDict()
        p.op('(');                                          // MARK for SETITEMS
        int key = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            p.unicode(e.getKey());
            p.global("torch._utils", "_rebuild_tensor_v2");
            p.op('(');                                      // args tuple
            p.op('(');                                      // persistent id tuple
            p.unicode("storage").global("torch", storageClass(t.dtype())).unicode(Integer.toString(key++)).unicode("cpu").integer(t.numel());
            p.op('t').op('Q');                              // TUPLE, BINPERSID
            p.integer(0);                                   // storage offset
            p.op('(');
            for (long s : t.shape()) p.integer(s);
            p.op('t');
            p.op('(');
            for (long s : Tensor.contiguousStrides(t.shape())) p.integer(s);
            p.op('t');
            p.op(0x89);                                     // NEWFALSE: requires_grad
            p.global("collections", "OrderedDict").op(')').op('R'); // backward hooks
            p.op('t').op('R');                              // TUPLE, REDUCE
        }
        p.op('u');                                          // SETITEMS
        p.op('.');                                          // STOP
        return p.bytes();
    }

    private static String storageClass(DType d) {
        return switch (d) {
            case F32 -> "FloatStorage";
            case BF16 -> "BFloat16Storage";
            case F16 -> "HalfStorage";
            case I64 -> "LongStorage";
        };
    }

    private static final class Pickler {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();

        Pickler op(int code) {
            b.write(code);
            return this;
        }

        Pickler global(String module, String name) {
            b.write('c');
            b.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        Pickler unicode(String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            b.write('X');
            le32(u.length);
            b.writeBytes(u);
            return this;
        }

        Pickler integer(long v) {
            if (v >= 0 && v < 256) {
                b.write('K');
                b.write((int) v);
            } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                b.write('J');
                le32((int) v);
            } else {
                b.write(0x8a); // LONG1 with 8 little-endian bytes
                b.write(8);
                for (int i = 0; i < 8; i++) b.write((int) (v >>> (8 * i)));
            }
            return this;
        }

        private void le32(int v) {
            for (int i = 0; i < 4; i++) b.write(v >>> (8 * i));
        }

        byte[] bytes() {
            return b.toByteArray();
        }
    }

    // ------------------------------------------------------------------ zip (stored entries, zip64 when needed)

    /** A minimal zip writer: stored entries, data aligned to 64 bytes like torch.save does. */
    private static final class ZipStore {
        private final OutputStream out;
        private long pos;
        private final List<byte[]> central = new ArrayList<>();

        ZipStore(OutputStream out) {
            this.out = out;
        }

        void entry(String name, byte[] data) throws IOException {
            entry(name, MemorySegment.ofArray(data));
        }

        void entry(String name, MemorySegment data) throws IOException {
            long size = data.byteSize();
            byte[] buf = new byte[(int) Math.min(size, 1 << 20)];
            CRC32 crc = new CRC32();
            for (long p = 0; p < size; p += buf.length) {
                int n = (int) Math.min(buf.length, size - p);
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, p, buf, 0, n);
                crc.update(buf, 0, n);
            }
            byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
            long headerAt = pos;
            boolean zip64 = size >= 0xFFFFFFFFL || headerAt >= 0xFFFFFFFFL;
            // Extra field: zip64 sizes when needed, then padding so the data start is 64-byte aligned.
            int base = 30 + nameBytes.length + (zip64 ? 20 : 0);
            int pad = (int) ((64 - (headerAt + base + 4) % 64) % 64);
            ByteArrayOutputStream h = new ByteArrayOutputStream();
            le(h, 0x04034b50, 4);
            le(h, zip64 ? 45 : 20, 2);
            le(h, 0x0800, 2); // UTF-8 names
            le(h, 0, 2);      // stored
            le(h, 0, 4);      // time/date
            le(h, crc.getValue(), 4);
            le(h, zip64 ? 0xFFFFFFFFL : size, 4);
            le(h, zip64 ? 0xFFFFFFFFL : size, 4);
            le(h, nameBytes.length, 2);
            le(h, (zip64 ? 20 : 0) + 4 + pad, 2);
            h.writeBytes(nameBytes);
            if (zip64) {
                le(h, 0x0001, 2);
                le(h, 16, 2);
                le(h, size, 8);
                le(h, size, 8);
            }
            le(h, 0xFFFF, 2); // padding block, an unknown extra id that readers skip
            le(h, pad, 2);
            h.write(new byte[pad]);
            byte[] hb = h.toByteArray();
            out.write(hb);
            pos += hb.length;
            for (long p = 0; p < size; p += buf.length) {
                int n = (int) Math.min(buf.length, size - p);
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, p, buf, 0, n);
                out.write(buf, 0, n);
            }
            pos += size;

            boolean cd64 = zip64;
            ByteArrayOutputStream c = new ByteArrayOutputStream();
            le(c, 0x02014b50, 4);
            le(c, cd64 ? 45 : 20, 2);
            le(c, cd64 ? 45 : 20, 2);
            le(c, 0x0800, 2);
            le(c, 0, 2);
            le(c, 0, 4);
            le(c, crc.getValue(), 4);
            le(c, cd64 ? 0xFFFFFFFFL : size, 4);
            le(c, cd64 ? 0xFFFFFFFFL : size, 4);
            le(c, nameBytes.length, 2);
            le(c, cd64 ? 28 : 0, 2);
            le(c, 0, 2);
            le(c, 0, 2);
            le(c, 0, 2);
            le(c, 0, 4);
            le(c, cd64 ? 0xFFFFFFFFL : headerAt, 4);
            c.writeBytes(nameBytes);
            if (cd64) {
                le(c, 0x0001, 2);
                le(c, 24, 2);
                le(c, size, 8);
                le(c, size, 8);
                le(c, headerAt, 8);
            }
            central.add(c.toByteArray());
        }

        void finish() throws IOException {
            long cdStart = pos;
            for (byte[] c : central) {
                out.write(c);
                pos += c.length;
            }
            long cdSize = pos - cdStart;
            int n = central.size();
            boolean zip64 = cdStart >= 0xFFFFFFFFL || n >= 0xFFFF;
            ByteArrayOutputStream e = new ByteArrayOutputStream();
            if (zip64) {
                long eocd64At = pos;
                le(e, 0x06064b50, 4);
                le(e, 44, 8);
                le(e, 45, 2);
                le(e, 45, 2);
                le(e, 0, 4);
                le(e, 0, 4);
                le(e, n, 8);
                le(e, n, 8);
                le(e, cdSize, 8);
                le(e, cdStart, 8);
                le(e, 0x07064b50, 4);
                le(e, 0, 4);
                le(e, eocd64At, 8);
                le(e, 1, 4);
            }
            le(e, 0x06054b50, 4);
            le(e, 0, 2);
            le(e, 0, 2);
            le(e, Math.min(n, 0xFFFF), 2);
            le(e, Math.min(n, 0xFFFF), 2);
            le(e, Math.min(cdSize, 0xFFFFFFFFL), 4);
            le(e, Math.min(cdStart, 0xFFFFFFFFL), 4);
            le(e, 0, 2);
            out.write(e.toByteArray());
        }

        private static void le(ByteArrayOutputStream o, long v, int bytes) {
            for (int i = 0; i < bytes; i++) o.write((int) (v >>> (8 * i)));
        }
    }
}
