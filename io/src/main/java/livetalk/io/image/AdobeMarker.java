package livetalk.io.image;

import javax.imageio.metadata.IIOMetadata;
import org.w3c.dom.Node;

/** The Adobe APP14 marker of a JPEG, read from javax.imageio's native JPEG metadata tree. */
final class AdobeMarker {
    private AdobeMarker() {
    }

    /** The marker's colour transform (0 CMYK, 1 YCbCr, 2 YCCK), or −1 when the file has no Adobe marker. */
    static int transform(IIOMetadata meta) {
        if (meta == null) return -1;
        Node n = find(meta.getAsTree("javax_imageio_jpeg_image_1.0"), "app14Adobe");
        if (n == null) return -1;
        Node t = n.getAttributes().getNamedItem("transform");
        return t == null ? 0 : Integer.parseInt(t.getNodeValue());
    }

    private static Node find(Node n, String name) {
        if (n.getNodeName().equals(name)) return n;
        for (Node c = n.getFirstChild(); c != null; c = c.getNextSibling()) {
            Node f = find(c, name);
            if (f != null) return f;
        }
        return null;
    }
}
