package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import livetalk.io.Json;
import livetalk.model.text.PromptCleaner;
import livetalk.model.text.SentencePieceModel;
import livetalk.model.text.Umt5Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code tokenizer.json} in HF's Unigram layout, made from the golden SentencePiece model,
 * encodes the golden strings to the golden ids (the HF file carries the same vocabulary, scores
 * and precompiled character map).
 */
class TokenizerJsonTest {
    @TempDir
    Path tmp;

    @Test
    @SuppressWarnings("unchecked")
    void hfTokenizerJsonGivesTheGoldenIds() throws Exception {
        Path dir = Path.of("golden/tokenizer");
        Map<String, Object> strings = (Map<String, Object>) Json.parse(Files.readString(dir.resolve("umt5_style_unigram_public_strings.json")));
        SentencePieceModel sp = SentencePieceModel.read(dir.resolve((String) strings.get("model")));

        List<Object> vocab = new ArrayList<>();
        List<Object> added = new ArrayList<>();
        for (int i = 0; i < sp.pieces.size(); i++) {
            SentencePieceModel.Piece p = sp.pieces.get(i);
            vocab.add(List.of(p.piece(), (double) p.score()));
            if (p.type() == SentencePieceModel.Type.CONTROL || p.type() == SentencePieceModel.Type.UNKNOWN) {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("id", (long) i);
                t.put("content", p.piece());
                t.put("special", true);
                added.add(t);
            }
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "Unigram");
        model.put("unk_id", (long) sp.unkId);
        model.put("vocab", vocab);
        model.put("byte_fallback", sp.byteFallback);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("added_tokens", added);
        root.put("normalizer", Map.of("type", "Sequence", "normalizers", List.of(
                Map.of("type", "Precompiled", "precompiled_charsmap", Base64.getEncoder().encodeToString(sp.precompiledCharsmap)),
                Map.of("type", "Replace", "pattern", Map.of("Regex", " {2,}"), "content", " "))));
        root.put("pre_tokenizer", Map.of("type", "Metaspace", "replacement", "\u2581", "prepend_scheme", "always", "split", true));
        root.put("model", model);
        Files.writeString(tmp.resolve("tokenizer.json"), Json.write(root));

        Umt5Tokenizer tok = Umt5Tokenizer.fromDirectory(tmp);
        int n = 0;
        for (Object o : (List<Object>) strings.get("records")) {
            Map<String, Object> r = (Map<String, Object>) o;
            long[] expected = ((List<Object>) r.get("ids")).stream().mapToLong(x -> ((Number) x).longValue()).toArray();
            Umt5Tokenizer.Encoding e = tok.encodeClean(PromptCleaner.clean((String) r.get("text"), false));
            assertArrayEquals(expected, e.ids(), (String) r.get("text"));
            n++;
        }
        assertEquals(((Number) strings.get("num_strings")).intValue(), n);
    }
}
