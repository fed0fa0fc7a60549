package livetalk.io.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import livetalk.io.SafetensorsFile;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

class AntialiasResizeTest {
    private static final Path FIXTURE = Path.of("src/test/resources/fixtures/image/resize_aa.safetensors");

    @Test
    void matchesPyTorchAntialiasedBilinear() {
        try (SafetensorsFile f = SafetensorsFile.open(FIXTURE)) {
            for (int i = 0; f.contains("case" + i + "_in"); i++) {
                Tensor in = f.get("case" + i + "_in"), out = f.get("case" + i + "_out");
                RgbImage img = new RgbImage((int) in.dim(2), (int) in.dim(1), in.toFloatArray());
                RgbImage r = AntialiasResize.resize(img, (int) out.dim(1), (int) out.dim(2));
                // float32 arithmetic in the same order as PyTorch: differences are last-bit rounding.
                Props.assertClose(out.toFloatArray(), r.data(), 2e-6, "case " + i);
            }
        }
    }

    @Test
    void constantImagesStayConstant() {
        Props.forAll("resize constant", 40, 11, rnd -> {
            int h = 1 + rnd.nextInt(60), w = 1 + rnd.nextInt(60), oh = 1 + rnd.nextInt(60), ow = 1 + rnd.nextInt(60);
            float v = (float) rnd.nextDouble();
            float[] d = new float[3 * h * w];
            java.util.Arrays.fill(d, v);
            RgbImage r = AntialiasResize.resize(new RgbImage(w, h, d), oh, ow);
            for (float x : r.data()) assertEquals(v, x, 1e-5f);
        });
    }

    @Test
    void coverCropPutsTheOddPixelOnTopAndLeft() {
        // 3 wide x 2 high, target 2x2: scale 1 (no resize), crop 1 column: floor(-1/2) = -1 → drop the left column.
        float[] d = new float[3 * 2 * 3];
        for (int i = 0; i < d.length; i++) d[i] = (i % 3) / 2f; // column index / 2 → values 0, .5, 1
        float[] out = PortraitPreprocess.prepare(new RgbImage(3, 2, d), 2, 2);
        assertEquals(0f, out[0], 0f);   // column 1 (0.5 → 0.0 after 2x−1)
        assertEquals(1f, out[1], 0f);   // column 2 (1.0 → 1.0)
    }
}
