package livetalk.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import livetalk.kernels.Buf;
import livetalk.tensor.Half;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

class RoundBf16Test {
    @Test
    void roundsEveryValueToNearestEvenBf16() {
        CpuBackend be = new CpuBackend();
        Props.forAll("roundBf16", 20, 3, rnd -> {
            float[] x = Props.uniform(rnd, 1 + rnd.nextInt(300), 1000f);
            Buf b = be.upload(x);
            be.roundBf16(b, b);
            float[] expected = new float[x.length];
            for (int i = 0; i < x.length; i++) expected[i] = Half.roundToBf16(x[i]);
            assertArrayEquals(expected, be.read(b));
        });
        Buf one = be.upload(new float[] {1.00390625f, 1.01171875f});   // ties: 1 + 2^-8 → 1, 1 + 3·2^-8 → 1 + 2^-6
        be.roundBf16(one, one);
        assertEquals(1f, be.read(one)[0]);
        assertEquals(1.015625f, be.read(one)[1]);
    }
}
