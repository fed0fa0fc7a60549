package livetalk.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import livetalk.tensor.DType;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The one random-weight generator: values depend on (seed, name) only, and have the asked spread. */
class RandomWeightsTest {
    @Test
    void aTensorDependsOnItsNameAndSeedOnly() {
        Tensor a = new RandomWeights(3, DType.F32).matrix("x", 16, 8).bias("y", 4).tensor("x");
        Tensor b = new RandomWeights(3, DType.F32).bias("z", 100).matrix("x", 16, 8).tensor("x");
        assertArrayEquals(a.toFloatArray(), b.toFloatArray());
        Tensor c = new RandomWeights(4, DType.F32).matrix("x", 16, 8).tensor("x");
        assertTrue(a.toFloatArray()[0] != c.toFloatArray()[0]);
    }

    /** The file holds every tensor as drawn alone, in order, though the writer draws ahead on all cores. */
    @Test
    void writtenFileEqualsTheTensorsDrawnOneByOne(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        RandomWeights w = new RandomWeights(5, DType.BF16);
        for (int i = 0; i < 40; i++) w.matrix("m" + i, 3 + i, 7).bias("b" + i, 5 + i);
        java.nio.file.Path file = dir.resolve("w.safetensors");
        w.write(file, java.util.Map.of("k", "v"));
        try (livetalk.io.SafetensorsFile f = livetalk.io.SafetensorsFile.open(file)) {
            assertEquals(new java.util.ArrayList<>(w.shapes().keySet()), new java.util.ArrayList<>(f.names()));
            for (String n : w.shapes().keySet()) assertArrayEquals(w.tensor(n).toFloatArray(), f.find(n).toFloatArray(), n);
        }
    }

    @Test
    void rolesHaveTheirSpreadAndLargeTensorsRepeatATile() {
        RandomWeights w = new RandomWeights(1, DType.BF16)
                .byName("a.norm.weight", 4096).byName("a.bias", 4096).byName("a.weight", 64, 256)
                .matrix("big", 3, RandomWeights.TILE / 2 + 5);
        assertEquals(1.0, mean(w.tensor("a.norm.weight").toFloatArray()), 0.01);
        assertEquals(0.05, std(w.tensor("a.bias").toFloatArray()), 0.005);
        assertEquals(1 / 16.0, std(w.tensor("a.weight").toFloatArray()), 0.005);
        float[] big = w.tensor("big").toFloatArray();
        for (int i = 0; i < 1000; i++) assertEquals(big[i], big[i + RandomWeights.TILE]);
    }

    @Test
    void duplicateNamesAndOtherDtypesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RandomWeights(1, DType.F32).bias("b", 2).bias("b", 2));
        assertThrows(IllegalArgumentException.class, () -> new RandomWeights(1, DType.F16));
    }

    private static double mean(float[] v) {
        double s = 0;
        for (float x : v) s += x;
        return s / v.length;
    }

    private static double std(float[] v) {
        double m = mean(v), s = 0;
        for (float x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / v.length);
    }
}
