package livetalk.io.image;

/**
 * A planar RGB image in float32: {@code data[c·H·W + y·W + x]}, channels R, G, B, the layout
 * torchvision's {@code ToTensor} produces ({@code [3, H, W]}).
 */
public record RgbImage(int width, int height, float[] data) {
    public RgbImage {
        if ((long) width * height * 3 != data.length) {
            throw new IllegalArgumentException("RGB image " + width + "x" + height + " needs " + (3L * width * height) + " values, got " + data.length);
        }
    }

    public float get(int c, int y, int x) {
        return data[(c * height + y) * width + x];
    }
}
