package livetalk.io;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Randomly damaged checkpoints: whatever the damage, a reader either returns tensors that can be
 * read in full or throws a {@link CheckpointException}; nothing else may escape, and each attempt
 * ends quickly.
 */
class CorruptionPropsTest {
    private static final long MAX_MILLIS_PER_FILE = 2000;

    @TempDir
    Path tmp;

    /** One random kind of damage. */
    static byte[] corrupt(byte[] valid, SplittableRandom rnd, int hotStart, int hotEnd) {
        byte[] b = valid.clone();
        switch (rnd.nextInt(7)) {
            case 0 -> { // a few bit flips anywhere
                int n = 1 + rnd.nextInt(8);
                for (int i = 0; i < n; i++) {
                    int at = rnd.nextInt(b.length);
                    b[at] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            case 1 -> { // bit flips in the structure (header / pickle / directory)
                int n = 1 + rnd.nextInt(4);
                for (int i = 0; i < n; i++) {
                    int at = hotStart + rnd.nextInt(hotEnd - hotStart);
                    b[at] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            case 2 -> b = Arrays.copyOf(b, rnd.nextInt(b.length)); // truncation
            case 3 -> { // a random byte in the structure
                b[hotStart + rnd.nextInt(hotEnd - hotStart)] = (byte) rnd.nextInt(256);
            }
            case 4 -> { // a random 1/2/4/8-byte little-endian length somewhere in the structure
                int w = 1 << rnd.nextInt(4);
                int at = hotStart + rnd.nextInt(Math.max(1, hotEnd - hotStart - w));
                long v = switch (rnd.nextInt(4)) {
                    case 0 -> rnd.nextLong();
                    case 1 -> -1L;
                    case 2 -> rnd.nextInt(1 << 16);
                    default -> 1L << rnd.nextInt(63);
                };
                for (int i = 0; i < w && at + i < b.length; i++) b[at + i] = (byte) (v >>> (8 * i));
            }
            case 5 -> { // a chunk cut out of the middle
                int at = rnd.nextInt(b.length), len = 1 + rnd.nextInt(Math.min(64, b.length - at));
                byte[] c = new byte[b.length - len];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(b, at + len, c, at, b.length - at - len);
                b = c;
            }
            default -> { // random bytes inserted
                int at = rnd.nextInt(b.length + 1), len = 1 + rnd.nextInt(16);
                byte[] c = new byte[b.length + len];
                System.arraycopy(b, 0, c, 0, at);
                for (int i = 0; i < len; i++) c[at + i] = (byte) rnd.nextInt(256);
                System.arraycopy(b, at, c, at + len, b.length - at);
                b = c;
            }
        }
        return b;
    }

    /** Parses an image and reads every tensor; only CheckpointException may come out. */
    static void survive(byte[] image, BiFunction<MemorySegment, Arena, Checkpoint> parser) {
        long t0 = System.nanoTime();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(Math.max(1, image.length)).asSlice(0, image.length);
            seg.copyFrom(MemorySegment.ofArray(image));
            Checkpoint ck = parser.apply(seg, arena);
            for (String n : ck.names()) {
                Tensor t = ck.get(n);
                if (t.numel() > 1 << 20) continue;
                if (t.dtype() == DType.I64) t.toLongArray(); else t.toFloatArray();
                t.contiguous();
            }
        } catch (CheckpointException expected) {
            assertTrue(expected.getMessage() != null && !expected.getMessage().isBlank());
            // PthReader's safety net wraps unexpected exceptions; every damage should meet a real check first.
            assertTrue(expected.getCause() == null, "unchecked damage: " + expected.getMessage());
        } catch (Throwable t) {
            throw new AssertionError("a damaged file gave " + t + " instead of a CheckpointException", t);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < MAX_MILLIS_PER_FILE, "took " + ms + " ms");
    }

    /** [start, end) of the safetensors header (length field + JSON). */
    private static int[] safetensorsHot(byte[] b) {
        long h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return new int[] {0, (int) (8 + h)};
    }

    @Test
    void damagedSafetensors() {
        Path p = tmp.resolve("valid.safetensors");
        SafetensorsWriter.write(p, SafetensorsTest.sample(new SplittableRandom(3)), java.util.Map.of("k", "v"));
        byte[] valid = TestFiles.bytes(p);
        int[] hot = safetensorsHot(valid);
        Path name = Path.of("fuzz.safetensors");
        Props.forAll("damaged safetensors", 400, 11, rnd -> survive(corrupt(valid, rnd, hot[0], hot[1]),
                (seg, arena) -> SafetensorsFile.parse(name, seg, arena)));
    }

    @Test
    void damagedPth() {
        for (String fixture : new String[] {"views.pth", "dtypes.pth", "f32_state_dict.pth"}) {
            byte[] valid = TestFiles.bytes(TestFiles.fixture(fixture));
            // data.pkl is the first entry: its bytes follow the first local header; the directory is at the end.
            int pklEnd = Math.min(valid.length, 700);
            Path name = Path.of(fixture);
            Props.forAll("damaged " + fixture + " (pickle)", 200, 13, rnd -> survive(corrupt(valid, rnd, 0, pklEnd),
                    (seg, arena) -> PthReader.parse(name, seg, arena)));
            Props.forAll("damaged " + fixture + " (directory)", 100, 17, rnd -> survive(corrupt(valid, rnd, valid.length - 400,
                    valid.length), (seg, arena) -> PthReader.parse(name, seg, arena)));
        }
    }

    @Test
    void damagedPthInZip64Layout() {
        byte[] valid = TestFiles.zip(TestFiles.unzip(TestFiles.fixture("views.pth")), true);
        Path name = Path.of("views64.pth");
        Props.forAll("damaged zip64 pth", 300, 19, rnd -> survive(corrupt(valid, rnd, valid.length - 500, valid.length),
                (seg, arena) -> PthReader.parse(name, seg, arena)));
    }

    @Test
    void damagedPicklesInIntactZips() {
        // Only data.pkl is damaged and the zip rebuilt around it, so every case reaches the pickle VM.
        for (String fixture : new String[] {"views.pth", "f32_state_dict.pth", "nested.pth"}) {
            java.util.Map<String, byte[]> entries = TestFiles.unzip(TestFiles.fixture(fixture));
            String pklName = entries.keySet().stream().filter(n -> n.endsWith("/data.pkl")).findFirst().orElseThrow();
            byte[] pkl = entries.get(pklName);
            Path name = Path.of(fixture);
            Props.forAll("damaged pickle of " + fixture, 300, 31, rnd -> {
                java.util.Map<String, byte[]> copy = new java.util.LinkedHashMap<>(entries);
                copy.put(pklName, corrupt(pkl, rnd, 0, pkl.length));
                survive(TestFiles.zip(copy, rnd.nextBoolean()), (seg, arena) -> PthReader.parse(name, seg, arena));
            });
        }
    }

    @Test
    void randomPickles() {
        // Random opcode soup from the supported set, plus random bytes: the VM must never escape.
        byte[] ops = {(byte) 0x80, (byte) 0x95, '.', '}', ']', ')', '(', 'X', (byte) 0x8c, (byte) 0x8d, 'c', (byte) 0x93, 'Q', 'J', 'K',
                'M', (byte) 0x8a, (byte) 0x8b, 'G', 't', (byte) 0x85, (byte) 0x86, (byte) 0x87, (byte) 0x89, (byte) 0x88, 'N', 'R', 'b',
                's', 'u', 'a', 'e', 'd', 'l', '0', '1', '2', 'q', 'r', (byte) 0x94, 'h', 'j', 'B', 'C', 'T', 'U'};
        Path name = Path.of("soup.pth");
        Props.forAll("random pickles", 500, 23, rnd -> {
            byte[] pkl = new byte[1 + rnd.nextInt(200)];
            for (int i = 0; i < pkl.length; i++) {
                pkl[i] = rnd.nextInt(3) == 0 ? (byte) rnd.nextInt(256) : ops[rnd.nextInt(ops.length)];
            }
            survive(TestFiles.pthWithPickle(pkl), (seg, arena) -> PthReader.parse(name, seg, arena));
        });
    }

    @Test
    void damagedFilesThroughCheckpointOpen() {
        // The same through the file path: mapping, format dispatch, closing.
        byte[] pth = TestFiles.bytes(TestFiles.fixture("nested.pth"));
        byte[] st = TestFiles.bytes(TestFiles.fixture("views.expected.safetensors"));
        Props.forAll("damaged files via Checkpoint.open", 100, 29, rnd -> {
            byte[] valid = rnd.nextBoolean() ? pth : st;
            Path p = TestFiles.write(tmp, "f" + rnd.nextInt(1000), corrupt(valid, rnd, 0, valid.length));
            long t0 = System.nanoTime();
            try (Checkpoint ck = Checkpoint.open(p)) {
                for (String n : ck.names()) ck.get(n).toFloatArray();
            } catch (CheckpointException expected) {
                // fine
            } catch (Throwable t) {
                throw new AssertionError(p + " gave " + t, t);
            }
            assertTrue((System.nanoTime() - t0) / 1_000_000 < MAX_MILLIS_PER_FILE);
        });
    }
}
