package livetalk.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The prompt from {@code --prompt TEXT} or {@code --prompt-file FILE} (exactly one of them). */
public final class PromptFile {
    /** A prompt longer than this is certainly a mistake (umT5 reads 512 tokens). */
    public static final int MAX_BYTES = 1 << 20;

    private PromptFile() {
    }

    public static String resolve(String prompt, Path file) {
        if (prompt != null && file != null) throw new InputException("--prompt and --prompt-file: give only one of them");
        if (prompt != null) return prompt;
        if (file == null) throw new InputException("missing --prompt TEXT (or --prompt-file FILE)");
        try {
            if (Files.size(file) > MAX_BYTES) throw new InputException("--prompt-file " + file + ": larger than " + MAX_BYTES + " bytes");
            byte[] b = Files.readAllBytes(file);
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
            return s.strip();
        } catch (CharacterCodingException e) {
            throw new InputException("--prompt-file " + file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new InputException("--prompt-file " + file + ": cannot read (" + e.getClass().getSimpleName() + ")");
        }
    }
}
