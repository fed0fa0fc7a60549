package livetalk.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/** Test helpers: the fixture folder, and a zip writer that can produce zip64 layouts on small files. */
final class TestFiles {
    private TestFiles() {
    }

    static Path fixture(String name) {
        try {
            return Path.of(TestFiles.class.getResource("/fixtures/" + name).toURI());
        } catch (Exception e) {
            throw new IllegalStateException("fixture " + name + " not found", e);
        }
    }

    static byte[] bytes(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The entries of a zip file, in order. */
    static Map<String, byte[]> unzip(Path p) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(p.toFile())) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) {
                out.put(e.getName(), z.getInputStream(e).readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * A zip of stored entries. With {@code zip64}, every size and offset in the central directory is
     * 0xFFFFFFFF with the real value in a zip64 extra field, and a zip64 end record and locator are
     * written, as for a file over 4 GB.
     */
    static byte[] zip(Map<String, byte[]> entries, boolean zip64) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream cd = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] data = e.getValue();
            CRC32 crc = new CRC32();
            crc.update(data);
            long local = out.size();
            ByteBuffer h = le(30 + name.length);
            h.putInt(0x04034b50).putShort((short) 45).putShort((short) 0).putShort((short) 0).putInt(0).putInt((int) crc.getValue())
                    .putInt(data.length).putInt(data.length).putShort((short) name.length).putShort((short) 0).put(name);
            out.writeBytes(h.array());
            out.writeBytes(data);
            int extraLen = zip64 ? 4 + 24 : 0;
            ByteBuffer c = le(46 + name.length + extraLen);
            c.putInt(0x02014b50).putShort((short) 45).putShort((short) 45).putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt((int) crc.getValue());
            c.putInt(zip64 ? -1 : data.length).putInt(zip64 ? -1 : data.length);
            c.putShort((short) name.length).putShort((short) extraLen).putShort((short) 0).putShort((short) 0).putShort((short) 0)
                    .putInt(0).putInt(zip64 ? -1 : (int) local).put(name);
            if (zip64) {
                c.putShort((short) 1).putShort((short) 24).putLong(data.length).putLong(data.length).putLong(local);
            }
            cd.writeBytes(c.array());
        }
        long cdOffset = out.size();
        out.writeBytes(cd.toByteArray());
        if (zip64) {
            long z = out.size();
            ByteBuffer r = le(56);
            r.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0)
                    .putLong(entries.size()).putLong(entries.size()).putLong(cd.size()).putLong(cdOffset);
            out.writeBytes(r.array());
            ByteBuffer l = le(20);
            l.putInt(0x07064b50).putInt(0).putLong(z).putInt(1);
            out.writeBytes(l.array());
        }
        ByteBuffer end = le(22);
        end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0);
        short n = zip64 ? (short) -1 : (short) entries.size();
        end.putShort(n).putShort(n).putInt(zip64 ? -1 : cd.size()).putInt(zip64 ? -1 : (int) cdOffset).putShort((short) 0);
        out.writeBytes(end.array());
        return out.toByteArray();
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A one-entry-per-name checkpoint zip whose data.pkl is {@code pickle}. */
    static byte[] pthWithPickle(byte[] pickle) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("archive/data.pkl", pickle);
        m.put("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        return zip(m, false);
    }

    static Path write(Path dir, String name, byte[] data) {
        try {
            return Files.write(dir.resolve(name), data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
