package livetalk.io.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Iterator;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;
import livetalk.io.MediaException;

/** Reading pictures (PNG, JPEG, BMP, GIF, TIFF: what javax.imageio decodes) and writing PNG frames. */
public final class ImageFiles {
    private ImageFiles() {
    }

    /**
     * The largest picture read: 50 megapixels (phone cameras; a portrait is scaled to 512×512
     * anyway). Below Pillow's decompression-bomb threshold (89.5 MP), so a damaged header cannot
     * make a decode take seconds.
     */
    public static final long MAX_PIXELS = 50_000_000L;
    /** The largest image file read. */
    public static final long MAX_FILE_BYTES = 256L << 20;

    /** {@link #read(Path, boolean)} with the EXIF orientation applied. */
    public static RgbImage read(Path path) {
        return read(path, true);
    }

    /**
     * Reads an image as RGB in [0, 1]: the 8-bit values Pillow's {@code convert("RGB")} gives
     * (see {@link PilRgb}), divided by 255 ({@code ToTensor}). With {@code applyExif}, the EXIF
     * orientation is applied as {@code ImageOps.exif_transpose} does; the reference does not
     * apply it (docs/model.md#reference-image), so parity runs pass false. The size is read from the header first and
     * a picture over {@link #MAX_PIXELS} is refused before it is decoded.
     */
    public static RgbImage read(Path path, boolean applyExif) {
        Decoded d = decode(path, applyExif);
        int w = d.width, h = d.height;
        float[] out = new float[3 * w * h];
        for (int i = 0; i < w * h; i++) {
            for (int c = 0; c < 3; c++) out[c * w * h + i] = (d.rgb[3 * i + c] & 0xFF) / 255f;
        }
        return new RgbImage(w, h, out);
    }

    /** Interleaved 8-bit RGB {@code [H, W, 3]} and the size, as {@link #read(Path, boolean)} sees them. */
    public record Decoded(int width, int height, byte[] rgb) {
    }

    public static Decoded decode(Path path, boolean applyExif) {
        byte[] file = readFile(path);
        Decoded d = decode(path.toString(), file);
        if (!applyExif) return d;
        int[] dims = new int[2];
        byte[] rgb = ExifOrientation.apply(d.rgb, d.width, d.height, ExifOrientation.read(file), dims);
        return new Decoded(dims[0], dims[1], rgb);
    }

    /** Decodes an image held in memory ({@code name} is for messages); no EXIF orientation. */
    public static Decoded decode(String name, byte[] file) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(file))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new MediaException(name + ": not an image in a format this reader knows (PNG, JPEG, BMP, GIF, TIFF)");
            }
            ImageReader r = readers.next();
            try {
                r.setInput(in, true, false);
                int w = r.getWidth(0), h = r.getHeight(0);
                if (w <= 0 || h <= 0) throw new MediaException(name + ": the header gives a size of " + w + "x" + h);
                if ((long) w * h > MAX_PIXELS) {
                    throw new MediaException(name + ": " + w + "x" + h + " pixels is more than the limit of " + MAX_PIXELS
                            + " pixels; scale it down first");
                }
                if (r.getFormatName().equalsIgnoreCase("jpeg")) {
                    // Raw samples: Java would colour-manage a JPEG with an ICC profile, Pillow does not.
                    Raster raster = r.readRaster(0, null);
                    int transform = AdobeMarker.transform(r.getImageMetadata(0));
                    switch (raster.getNumBands()) {
                        case 1: return new Decoded(w, h, PilRgb.gray(raster));
                        case 3: return new Decoded(w, h, PilRgb.ycc(raster, transform != 0));
                        case 4: return new Decoded(w, h, PilRgb.cmyk(raster, transform >= 0, transform == 2));
                        default: throw new MediaException(name + ": a JPEG with " + raster.getNumBands() + " channels");
                    }
                }
                return new Decoded(w, h, PilRgb.fromImage(r.read(0)));
            } finally {
                r.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof MediaException m) throw m;
            throw new MediaException(name + ": cannot decode the image (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
    }

    private static byte[] readFile(Path path) {
        try {
            if (Files.isDirectory(path)) throw new MediaException(path + ": is a directory, not an image");
            try (InputStream in = Files.newInputStream(path)) {
                byte[] b = in.readNBytes((int) MAX_FILE_BYTES + 1);
                if (b.length > MAX_FILE_BYTES) {
                    throw new MediaException(path + ": more than " + (MAX_FILE_BYTES >> 20) + " MB, larger than any portrait this reader accepts");
                }
                return b;
            }
        } catch (NoSuchFileException e) {
            throw new MediaException(path + ": no such file");
        } catch (IOException e) {
            throw new MediaException(path + ": cannot read (" + e.getMessage() + ")");
        }
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
