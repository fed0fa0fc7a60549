package livetalk.io.image;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;
import livetalk.io.MediaException;

/** Reading pictures (PNG, JPEG, BMP, GIF: what javax.imageio decodes) and writing PNG frames. */
public final class ImageFiles {
    private ImageFiles() {
    }

    /**
     * Reads an image as RGB in [0, 1] ({@code uint8 / 255}, like PIL {@code convert("RGB")} then
     * {@code ToTensor}); alpha is dropped and no EXIF orientation is applied (docs/model.md#reference-image).
     */
    public static RgbImage read(Path path) {
        BufferedImage img;
        try {
            img = ImageIO.read(path.toFile());
        } catch (IOException e) {
            if (!Files.exists(path)) throw new MediaException(path + ": no such file");
            throw new MediaException(path + ": cannot decode the image (" + e.getMessage() + ")");
        }
        if (img == null) {
            if (!Files.exists(path)) throw new MediaException(path + ": no such file");
            throw new MediaException(path + ": not an image in a format this reader knows (PNG, JPEG, BMP, GIF)");
        }
        int w = img.getWidth(), h = img.getHeight();
        float[] d = new float[3 * w * h];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                d[y * w + x] = ((p >> 16) & 0xFF) / 255f;
                d[(h + y) * w + x] = ((p >> 8) & 0xFF) / 255f;
                d[(2 * h + y) * w + x] = (p & 0xFF) / 255f;
            }
        }
        return new RgbImage(w, h, d);
    }

    /** 8-bit RGB pixels, interleaved {@code [H, W, 3]}, written as a PNG file (atomically). */
    public static void writePng(Path path, int width, int height, byte[] rgb) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = (y * width + x) * 3;
                row[x] = ((rgb[i] & 0xFF) << 16) | ((rgb[i + 1] & 0xFF) << 8) | (rgb[i + 2] & 0xFF);
            }
            img.setRGB(0, y, width, 1, row, 0, width);
        }
        Path tmp = path.resolveSibling("." + path.getFileName() + ".partial");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            ImageIO.write(img, "png", out);
        } catch (NoSuchFileException e) {
            throw new MediaException(path + ": the directory does not exist");
        } catch (IOException e) {
            throw new MediaException(path + ": cannot write (" + e.getMessage() + ")");
        }
        try {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new MediaException(path + ": cannot move the finished file into place (" + e.getMessage() + ")");
        }
    }
}
