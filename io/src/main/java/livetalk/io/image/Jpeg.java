package livetalk.io.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Frames to JPEG, as {@code serve} sends them to the page. Here rather than in the server so that
 * {@code bench-live} pays the same encoding cost per frame on the decode thread as serve does.
 */
public final class Jpeg {
    /** The quality serve sends frames at. */
    public static final float QUALITY = 0.85f;

    private Jpeg() {
    }

    /** One writer per thread, reused: finding one per frame cost a service lookup each time. */
    private static final ThreadLocal<ImageWriter> WRITER = ThreadLocal.withInitial(() -> ImageIO.getImageWritersByFormatName("jpeg").next());

    /**
     * Interleaved RGB {@code [S, S, 3]} → JPEG at {@link #QUALITY}. The pixels go straight into a
     * byte raster (BGR, the layout the JPEG writer reads without converting pixel by pixel): with
     * an int raster the writer fetched every pixel through the colour model, most of a 512×512
     * frame's encoding time.
     */
    public static byte[] encode(byte[] rgb, int size) {
        if (rgb.length != 3 * size * size) throw new IllegalArgumentException(rgb.length + " bytes do not form [" + size + ", " + size + ", 3]");
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < rgb.length; i += 3) {
            bgr[i] = rgb[i + 2];
            bgr[i + 1] = rgb[i + 1];
            bgr[i + 2] = rgb[i];
        }
        ImageWriter w = WRITER.get();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream s = new MemoryCacheImageOutputStream(out)) {
            w.setOutput(s);
            ImageWriteParam p = w.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(QUALITY);
            w.write(null, new IIOImage(img, null, null), p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            w.reset();
        }
        return out.toByteArray();
    }

    /**
     * A group of frames (each {@code [S, S, 3]}), each encoded as {@link #encode} does, in order,
     * on several threads at once. The decode thread of a live session hands its frames here: one
     * at a time they cost about 10 ms each, as much per block as a third of the VAE's own work
     * (docs/cuda-performance.md, "What comes next"), and the frames of a group are independent.
     */
    public static byte[][] encodeAll(byte[][] rgb, int size) {
        byte[][] out = new byte[rgb.length][];
        java.util.stream.IntStream.range(0, rgb.length).parallel().forEach(i -> out[i] = encode(rgb[i], size));
        return out;
    }
}
