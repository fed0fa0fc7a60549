package livetalk.io.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

class JpegTest {
    /** The encoding as it was before the byte raster: pixels set through an int raster, a writer per call. */
    private static byte[] throughIntRaster(byte[] rgb, int size) throws Exception {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int i = (y * size + x) * 3;
                img.setRGB(x, y, ((rgb[i] & 0xFF) << 16) | ((rgb[i + 1] & 0xFF) << 8) | (rgb[i + 2] & 0xFF));
            }
        }
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream s = new MemoryCacheImageOutputStream(out)) {
            w.setOutput(s);
            ImageWriteParam p = w.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(Jpeg.QUALITY);
            w.write(null, new IIOImage(img, null, null), p);
        } finally {
            w.dispose();
        }
        return out.toByteArray();
    }

    /** A smooth picture with some noise, as decoded frames are. */
    private static byte[] picture(java.util.SplittableRandom rnd, int size) {
        byte[] rgb = new byte[3 * size * size];
        double fx = rnd.nextDouble() * 0.2, fy = rnd.nextDouble() * 0.2;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                for (int c = 0; c < 3; c++) {
                    double v = 128 + 90 * Math.sin(fx * x + c) * Math.cos(fy * y - c) + rnd.nextInt(9) - 4;
                    rgb[(y * size + x) * 3 + c] = (byte) Math.max(0, Math.min(255, (int) v));
                }
            }
        }
        return rgb;
    }

    @Test
    void sameBytesAsThroughAnIntRasterAndCloseToTheInput() {
        Props.forAll("jpeg", 6, 17, rnd -> {
            int size = 16 * (1 + rnd.nextInt(8));
            byte[] rgb = picture(rnd, size);
            byte[] jpeg = Jpeg.encode(rgb, size);
            assertArrayEquals(throughIntRaster(rgb, size), jpeg, "size " + size);
            BufferedImage back = ImageIO.read(new ByteArrayInputStream(jpeg));
            assertEquals(size, back.getWidth());
            double err = 0;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    int p = back.getRGB(x, y), i = (y * size + x) * 3;
                    err += Math.abs(((p >> 16) & 0xFF) - (rgb[i] & 0xFF)) + Math.abs(((p >> 8) & 0xFF) - (rgb[i + 1] & 0xFF))
                            + Math.abs((p & 0xFF) - (rgb[i + 2] & 0xFF));
                }
            }
            double mean = err / (3.0 * size * size);
            assertTrue(mean < 6, "mean absolute error " + mean + " at quality " + Jpeg.QUALITY);
        });
    }

    @Test
    void aWrongSizeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Jpeg.encode(new byte[10], 4));
        assertThrows(IllegalArgumentException.class, () -> Jpeg.encodeAll(new byte[][]{new byte[48], new byte[10]}, 4));
    }

    /** A group encoded on several threads: each frame's bytes as encode gives them, in the group's order. */
    @Test
    void aGroupIsEachFramesEncodingInOrder() {
        Props.forAll("jpeg group", 4, 23, rnd -> {
            int size = 8 * (1 + rnd.nextInt(12)), n = rnd.nextInt(6);
            byte[][] rgb = new byte[n][];
            for (int i = 0; i < n; i++) rgb[i] = picture(rnd, size);
            byte[][] got = Jpeg.encodeAll(rgb, size);
            assertEquals(n, got.length);
            for (int i = 0; i < n; i++) assertArrayEquals(Jpeg.encode(rgb[i], size), got[i], "frame " + i + " of " + n);
        });
    }
}
