package livetalk.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A hand-built model (written as protobuf bytes), so the wire reader is tested too. */
class UnigramTokenizerTest {

    static byte[] model(List<Object[]> pieces, boolean byteFallback, boolean dummyPrefix) {
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        for (Object[] p : pieces) {
            ByteArrayOutputStream sp = new ByteArrayOutputStream();
            bytesField(sp, 1, ((String) p[0]).getBytes(StandardCharsets.UTF_8));
            tag(sp, 2, 5);
            int bits = Float.floatToIntBits((Float) p[1]);
            for (int i = 0; i < 4; i++) sp.write(bits >>> (8 * i));
            tag(sp, 3, 0);
            varint(sp, (Integer) p[2]);
            bytesField(m, 1, sp.toByteArray());
        }
        ByteArrayOutputStream tr = new ByteArrayOutputStream();
        tag(tr, 3, 0); varint(tr, 1);
        tag(tr, 35, 0); varint(tr, byteFallback ? 1 : 0);
        tag(tr, 40, 0); varint(tr, 2);
        tag(tr, 41, 0); varint(tr, -1L & 0xffffffffffffffffL);
        tag(tr, 42, 0); varint(tr, 1);
        tag(tr, 43, 0); varint(tr, 0);
        tag(tr, 99, 2); varint(tr, 1); tr.write(7);   // an unknown field: skipped
        bytesField(m, 2, tr.toByteArray());
        ByteArrayOutputStream ns = new ByteArrayOutputStream();
        bytesField(ns, 1, "identity".getBytes());
        tag(ns, 3, 0); varint(ns, dummyPrefix ? 1 : 0);
        bytesField(m, 3, ns.toByteArray());
        return m.toByteArray();
    }

    static void tag(ByteArrayOutputStream o, int field, int wire) {
        varint(o, (long) field << 3 | wire);
    }

    static void varint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7fL) != 0) {
            o.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        o.write((int) v);
    }

    static void bytesField(ByteArrayOutputStream o, int field, byte[] b) {
        tag(o, field, 2);
        varint(o, b.length);
        o.writeBytes(b);
    }

    static List<Object[]> basePieces(boolean withBytes) {
        List<Object[]> p = new java.util.ArrayList<>();
        p.add(new Object[]{"<pad>", 0f, 3});
        p.add(new Object[]{"</s>", 0f, 3});
        p.add(new Object[]{"<unk>", 0f, 2});
        if (withBytes) for (int b = 0; b < 256; b++) p.add(new Object[]{String.format("<0x%02X>", b), 0f, 6});
        return p;
    }

    @Test
    void viterbiPrefersTheBestTotalScore() {
        List<Object[]> p = basePieces(false);
        int base = p.size();
        p.add(new Object[]{"\u2581", -2f, 1});
        p.add(new Object[]{"a", -3f, 1});
        p.add(new Object[]{"b", -3f, 1});
        p.add(new Object[]{"\u2581ab", -5f, 1});   // better than ▁ + a + b (−8)
        p.add(new Object[]{"\u2581a", -1f, 1});    // ▁a + b = −4 beats ▁ab
        p.add(new Object[]{"ab", -10f, 5});        // unused: never chosen
        UnigramTokenizer t = new UnigramTokenizer(SentencePieceModel.parse(model(p, false, true)));
        assertArrayEquals(new int[]{base + 4, base + 2}, t.encode("ab"));
        assertArrayEquals(new int[]{base + 4, base + 2, base + 4}, t.encode("  ab   a "));
        assertEquals(List.of("\u2581a", "b"), t.encodeAsPieces("ab"));
        // "c" is unknown: one unk piece, decoded as ⁇.
        assertArrayEquals(new int[]{base, 2}, t.encode(" c"));
        assertEquals("ab a", t.decode(t.encode("ab a")));
    }

    @Test
    void byteFallbackAndUserDefined() {
        List<Object[]> p = basePieces(true);
        int base = p.size();
        p.add(new Object[]{"\u2581", -2f, 1});
        p.add(new Object[]{"x", -1f, 1});
        p.add(new Object[]{"<tag>", 0f, 4});
        UnigramTokenizer t = new UnigramTokenizer(SentencePieceModel.parse(model(p, true, true)));
        // é = C3 A9 → <0xC3> <0xA9>; ids 3 + byte value.
        assertArrayEquals(new int[]{base, 3 + 0xC3, 3 + 0xA9, base + 1}, t.encode("éx"));
        assertArrayEquals(new int[]{base, base + 2, base + 1}, t.encode("<tag>x"));
        assertEquals("éx<tag>x", t.decode(t.encode("éx<tag>x")));
        assertEquals("😀 x", t.decode(t.encode("😀 x")));
    }

    @Test
    void umt5Padding() {
        List<Object[]> p = basePieces(false);
        p.add(new Object[]{"\u2581", -2f, 1});
        p.add(new Object[]{"a", -1f, 1});
        UnigramTokenizer sp = new UnigramTokenizer(SentencePieceModel.parse(model(p, false, true)));
        Umt5Tokenizer t = new Umt5Tokenizer(sp, 6, false);
        Umt5Tokenizer.Encoding e = t.encode("a a");
        assertArrayEquals(new long[]{3, 4, 3, 4, 1, 0}, e.ids());
        assertArrayEquals(new long[]{1, 1, 1, 1, 1, 0}, e.mask());
        Umt5Tokenizer.Encoding longer = t.encode("a a a a");
        assertArrayEquals(new long[]{3, 4, 3, 4, 3, 1}, longer.ids());
        assertEquals(6, longer.length());
        assertArrayEquals(new long[]{1, 0, 0, 0, 0, 0}, t.encode("   ").ids());
    }

    @Test
    void malformedModelIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> SentencePieceModel.parse(new byte[]{10, 50, 1}));
        assertThrows(IllegalArgumentException.class, () -> SentencePieceModel.parse(new byte[0]));
    }
}
