package livetalk.model.text;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import livetalk.io.CheckpointException;
import livetalk.io.Json;

/**
 * Reads a Hugging Face {@code tokenizer.json} with a {@code Unigram} model (what
 * {@code T5TokenizerFast} saves) into a {@link SentencePieceModel}, so the same encoder runs on
 * it: the vocabulary with scores, {@code unk_id}, {@code byte_fallback}, the special tokens as
 * control pieces, the {@code Precompiled} normaliser's character map and the {@code Metaspace}
 * prefix setting. Whitespace handling follows sentencepiece ({@code remove_extra_whitespaces}),
 * which is what HF's T5 conversion reproduces with its {@code " {2,}" → " "} rule and Metaspace.
 */
public final class TokenizerJson {
    private TokenizerJson() {
    }

    public static SentencePieceModel read(Path file) {
        Object root;
        try {
            root = Json.parse(Files.readString(file));
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read (" + e.getMessage() + ")", e);
        } catch (Json.ParseException e) {
            throw new CheckpointException(file + ": not well-formed JSON: " + e.getMessage());
        }
        try {
            return convert(root);
        } catch (IllegalArgumentException | ClassCastException | NullPointerException | IndexOutOfBoundsException e) {
            throw new CheckpointException(file + ": not a Unigram tokenizer.json: " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    static SentencePieceModel convert(Object root) {
        Map<String, Object> j = (Map<String, Object>) root;
        Map<String, Object> model = (Map<String, Object>) j.get("model");
        if (model == null || !"Unigram".equals(model.get("type"))) {
            throw new IllegalArgumentException("model.type is " + (model == null ? "missing" : model.get("type")) + ", expected Unigram");
        }
        SentencePieceModel m = new SentencePieceModel();
        m.byteFallback = Boolean.TRUE.equals(model.get("byte_fallback"));
        int unk = model.get("unk_id") instanceof Number n ? n.intValue() : -1;
        Map<String, Integer> special = new HashMap<>();
        if (j.get("added_tokens") instanceof List<?> added) {
            for (Object o : added) {
                Map<String, Object> t = (Map<String, Object>) o;
                if (Boolean.TRUE.equals(t.get("special"))) special.put((String) t.get("content"), ((Number) t.get("id")).intValue());
            }
        }
        List<Object> vocab = (List<Object>) model.get("vocab");
        for (int i = 0; i < vocab.size(); i++) {
            List<Object> e = (List<Object>) vocab.get(i);
            String piece = (String) e.get(0);
            float score = ((Number) e.get(1)).floatValue();
            SentencePieceModel.Type type;
            if (i == unk) type = SentencePieceModel.Type.UNKNOWN;
            else if (special.containsKey(piece) && special.get(piece) == i) type = SentencePieceModel.Type.CONTROL;
            else if (m.byteFallback && piece.length() == 6 && piece.matches("<0x[0-9A-F]{2}>")) type = SentencePieceModel.Type.BYTE;
            else type = SentencePieceModel.Type.NORMAL;
            m.pieces.add(new SentencePieceModel.Piece(piece, score, type));
        }
        // Special tokens past the vocabulary (e.g. <extra_id_N>) keep their ids as control pieces.
        special.entrySet().stream().filter(e -> e.getValue() >= vocab.size()).sorted(Map.Entry.comparingByValue()).forEach(e -> {
            while (m.pieces.size() < e.getValue()) m.pieces.add(new SentencePieceModel.Piece("<unused_" + m.pieces.size() + ">", 0, SentencePieceModel.Type.UNUSED));
            m.pieces.add(new SentencePieceModel.Piece(e.getKey(), 0, SentencePieceModel.Type.CONTROL));
        });
        m.unkId = unk;
        m.eosId = special.getOrDefault("</s>", -1);
        m.padId = special.getOrDefault("<pad>", -1);
        m.bosId = special.getOrDefault("<s>", -1);
        String charsmap = findCharsmap(j.get("normalizer"));
        m.precompiledCharsmap = charsmap == null ? new byte[0] : Base64.getDecoder().decode(charsmap);
        m.normalizerName = charsmap == null ? "identity" : "precompiled";
        Boolean prefix = metaspacePrefix(j.get("pre_tokenizer"));
        m.addDummyPrefix = prefix == null || prefix;
        m.removeExtraWhitespaces = true;
        m.escapeWhitespaces = true;
        return m;
    }

    @SuppressWarnings("unchecked")
    private static String findCharsmap(Object n) {
        if (!(n instanceof Map<?, ?> map)) return null;
        Map<String, Object> m = (Map<String, Object>) map;
        if ("Precompiled".equals(m.get("type"))) return (String) m.get("precompiled_charsmap");
        if (m.get("normalizers") instanceof List<?> l) {
            for (Object o : l) {
                String s = findCharsmap(o);
                if (s != null) return s;
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static Boolean metaspacePrefix(Object n) {
        if (!(n instanceof Map<?, ?> map)) return null;
        Map<String, Object> m = (Map<String, Object>) map;
        if ("Metaspace".equals(m.get("type"))) {
            if (m.get("prepend_scheme") instanceof String s) return !s.equals("never");
            return !Boolean.FALSE.equals(m.get("add_prefix_space"));
        }
        if (m.get("pretokenizers") instanceof List<?> l) {
            for (Object o : l) {
                Boolean b = metaspacePrefix(o);
                if (b != null) return b;
            }
        }
        return null;
    }
}
