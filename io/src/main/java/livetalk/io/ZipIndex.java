package livetalk.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The central directory of a zip file held in a memory segment (the layout of PKWARE's APPNOTE,
 * zip64 included, as {@code torch.save} writes it). Only stored (uncompressed) entries can be
 * opened, and they open as zero-copy slices of the segment. Every offset and size is checked
 * against the segment before it is used.
 */
final class ZipIndex {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final int EOCD_SIG = 0x06054b50, EOCD_LEN = 22;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50, ZIP64_LOCATOR_LEN = 20;
    private static final int ZIP64_EOCD_SIG = 0x06064b50, ZIP64_EOCD_LEN = 56;
    private static final int CENTRAL_SIG = 0x02014b50, CENTRAL_LEN = 46;
    private static final int LOCAL_SIG = 0x04034b50, LOCAL_LEN = 30;
    private static final long U32_MAX = 0xFFFFFFFFL;

    /** One central-directory record. Sizes and offsets are already widened by the zip64 extra field. */
    record Entry(String name, int method, int flags, long compressedSize, long size, long localHeaderOffset) {
    }

    private final String where;
    private final MemorySegment file;
    private final long fileSize;
    private final Map<String, Entry> entries;

    private ZipIndex(String where, MemorySegment file) {
        this.where = where;
        this.file = file;
        this.fileSize = file.byteSize();
        this.entries = readDirectory();
    }

    /** Reads the central directory; {@code where} names the file in error messages. */
    static ZipIndex read(String where, MemorySegment file) {
        return new ZipIndex(where, file);
    }

    /** Entries by name, in directory order. */
    Map<String, Entry> entries() {
        return entries;
    }

    private CheckpointException error(String what) {
        return new CheckpointException(where + ": " + what);
    }

    private int u16(long at) {
        return file.get(U16, at) & 0xFFFF;
    }

    private long u32(long at) {
        return file.get(U32, at) & U32_MAX;
    }

    /** True when {@code [at, at+len)} lies inside the file. */
    private boolean inside(long at, long len) {
        return at >= 0 && len >= 0 && at <= fileSize && len <= fileSize - at;
    }

    private Map<String, Entry> readDirectory() {
        long eocd = findEndOfDirectory();
        long count = u16(eocd + 10);
        long cdSize = u32(eocd + 12);
        long cdOffset = u32(eocd + 16);
        long loc = eocd - ZIP64_LOCATOR_LEN;
        if (loc >= 0 && file.get(U32, loc) == ZIP64_LOCATOR_SIG) {
            long z = file.get(U64, loc + 8);
            if (!inside(z, ZIP64_EOCD_LEN) || file.get(U32, z) != ZIP64_EOCD_SIG) {
                throw error("zip64 end-of-directory record at offset " + Long.toUnsignedString(z) + " is missing or outside the "
                        + fileSize + "-byte file (truncated?)");
            }
            count = file.get(U64, z + 32);
            cdSize = file.get(U64, z + 40);
            cdOffset = file.get(U64, z + 48);
        }
        if (!inside(cdOffset, cdSize)) {
            throw error("zip central directory [" + Long.toUnsignedString(cdOffset) + ", +" + Long.toUnsignedString(cdSize)
                    + ") runs outside the " + fileSize + "-byte file (truncated?)");
        }
        if (count < 0 || count > cdSize / CENTRAL_LEN) {
            throw error("zip directory claims " + Long.toUnsignedString(count) + " entries in " + cdSize + " bytes");
        }
        Map<String, Entry> out = new LinkedHashMap<>();
        long p = cdOffset, end = cdOffset + cdSize;
        for (long i = 0; i < count; i++) {
            if (end - p < CENTRAL_LEN || file.get(U32, p) != CENTRAL_SIG) {
                throw error("zip central directory record " + i + " at offset " + p + " is damaged");
            }
            int flags = u16(p + 8);
            int method = u16(p + 10);
            long csize = u32(p + 20);
            long usize = u32(p + 24);
            int nameLen = u16(p + 28), extraLen = u16(p + 30), commentLen = u16(p + 32);
            long local = u32(p + 42);
            long varLen = (long) nameLen + extraLen + commentLen;
            if (end - p - CENTRAL_LEN < varLen) {
                throw error("zip central directory record " + i + " runs past the directory");
            }
            String name = new String(file.asSlice(p + CENTRAL_LEN, nameLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            // zip64: the 32-bit fields that hold 0xFFFFFFFF are in the extra field (id 1), in this order.
            long x = p + CENTRAL_LEN + nameLen, xEnd = x + extraLen;
            while (xEnd - x >= 4 && (usize == U32_MAX || csize == U32_MAX || local == U32_MAX)) {
                int id = u16(x), len = u16(x + 2);
                long body = x + 4;
                if (len > xEnd - body) break;
                if (id == 1) {
                    long q = body, qEnd = body + len;
                    if (usize == U32_MAX && qEnd - q >= 8) { usize = file.get(U64, q); q += 8; }
                    if (csize == U32_MAX && qEnd - q >= 8) { csize = file.get(U64, q); q += 8; }
                    if (local == U32_MAX && qEnd - q >= 8) { local = file.get(U64, q); }
                    break;
                }
                x = body + len;
            }
            if (out.put(name, new Entry(name, method, flags, csize, usize, local)) != null) {
                throw error("zip entry '" + name + "' appears twice");
            }
            p += CENTRAL_LEN + varLen;
        }
        return out;
    }

    /** The end-of-central-directory record: 22 bytes plus a comment of up to 64 KiB at the very end. */
    private long findEndOfDirectory() {
        long lowest = Math.max(0, fileSize - EOCD_LEN - 0xFFFF);
        for (long p = fileSize - EOCD_LEN; p >= lowest; p--) {
            if (file.get(U32, p) == EOCD_SIG && p + EOCD_LEN + u16(p + 20) <= fileSize) {
                return p;
            }
        }
        throw error("not a readable zip file: no end-of-central-directory record (truncated?)");
    }

    /**
     * The bytes of a stored entry as a slice of the file. Compressed or encrypted entries are
     * refused: {@code torch.save} stores tensors uncompressed so that they can be mapped.
     */
    MemorySegment data(Entry e) {
        if ((e.flags() & 1) != 0) {
            throw error("zip entry '" + e.name() + "' is encrypted");
        }
        if (e.method() != 0) {
            throw error("zip entry '" + e.name() + "' is compressed (method " + e.method()
                    + "); only stored entries can be mapped, as torch.save writes them (was the file re-zipped?)");
        }
        if (e.compressedSize() != e.size()) {
            throw error("zip entry '" + e.name() + "' is stored but its sizes differ (" + e.compressedSize() + " vs " + e.size() + ")");
        }
        long h = e.localHeaderOffset();
        if (!inside(h, LOCAL_LEN) || file.get(U32, h) != LOCAL_SIG) {
            throw error("zip entry '" + e.name() + "': local header at offset " + Long.toUnsignedString(h) + " is missing or damaged");
        }
        long start = h + LOCAL_LEN + u16(h + 26) + u16(h + 28);
        if (!inside(start, e.size())) {
            throw error("zip entry '" + e.name() + "': " + Long.toUnsignedString(e.size()) + " bytes at offset " + start
                    + " run past the end of the " + fileSize + "-byte file (truncated?)");
        }
        return file.asSlice(start, e.size());
    }
}
