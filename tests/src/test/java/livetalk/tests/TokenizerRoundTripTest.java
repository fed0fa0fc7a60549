package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import livetalk.model.text.SentencePieceModel;
import livetalk.model.text.UnigramTokenizer;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/**
 * decode(encode(s)) gives back the normalised text of s, for random strings over the golden
 * model's own characters plus characters it has no piece for (byte fallback).
 */
class TokenizerRoundTripTest {
    static final Path MODEL = Path.of("golden/tokenizer/umt5_style_unigram.model");

    @Test
    void decodeOfEncodeIsTheNormalisedText() {
        UnigramTokenizer t = UnigramTokenizer.load(MODEL);
        List<Integer> alphabet = new ArrayList<>();
        for (SentencePieceModel.Piece p : t.model().pieces) {
            if (p.type() == SentencePieceModel.Type.NORMAL) p.piece().codePoints().forEach(alphabet::add);
        }
        int[] extra = {' ', ' ', ' ', '\t', '\n', 0x00e9, 0x4f60, 0xd55c, 0x1f600, 0x0bb5, 0xff21, 0xfb01, 0x2460};
        for (int c : extra) alphabet.add(c);
        Props.forAll("sentencepiece round trip", 300, 17, rnd -> {
            StringBuilder sb = new StringBuilder();
            int n = rnd.nextInt(40);
            for (int i = 0; i < n; i++) sb.appendCodePoint(alphabet.get(rnd.nextInt(alphabet.size())));
            String s = sb.toString();
            String normalised = new String(t.normalize(s), StandardCharsets.UTF_8).replace('\u2581', ' ');
            if (normalised.startsWith(" ")) normalised = normalised.substring(1);   // the dummy prefix
            assertEquals(normalised, t.decode(t.encode(s)), "for " + s.codePoints().mapToObj(Integer::toHexString).toList());
        });
    }
}
