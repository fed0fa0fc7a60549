package livetalk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench-dit's --save-output / --compare-output: the file format and the line two runs compare by. */
class BenchDitCompareTest {
    @TempDir
    Path dir;

    @Test
    void comparesWithASavedOutput() throws Exception {
        float[] ref = {3f, -4f, 0f, 1e-3f};
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(ref);
        Path f = Files.write(dir.resolve("out.f32"), b.array());
        assertEquals("output vs out.f32: rel_l2 = 0.00e+00, max|diff| = 0.00e+00 (max|ref| 4.00e+00)", BenchDitCommand.compare(ref, f));
        // ‖(0, 0.5, 0, 0)‖ / ‖(3, -4, 0, 0.001)‖ ≈ 0.1
        assertEquals("output vs out.f32: rel_l2 = 1.00e-01, max|diff| = 5.00e-01 (max|ref| 4.00e+00)",
                BenchDitCommand.compare(new float[]{3f, -3.5f, 0f, 1e-3f}, f));
        String nan = BenchDitCommand.compare(new float[]{Float.NaN, -4f, 0f, 1e-3f}, f);
        assertEquals("output vs out.f32: rel_l2 = Infinity, max|diff| = Infinity (max|ref| 4.00e+00)", nan);
        assertThrows(InputException.class, () -> BenchDitCommand.compare(new float[3], f));
    }
}
