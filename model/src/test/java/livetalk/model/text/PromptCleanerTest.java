package livetalk.model.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PromptCleanerTest {
    @Test
    void htmlUnescapeLikePython() {
        assertEquals("& <tag> & x", PromptCleaner.clean("&amp; &lt;tag&gt; &amp;amp; x", false));
        assertEquals("é A é", PromptCleaner.clean("&eacute; &#65; &#xe9;", false));
        assertEquals("€ \uFFFD", PromptCleaner.clean("&#128; &#0;", false));
        assertEquals("&unknownentity; &", PromptCleaner.clean("&unknownentity; &", false));
        assertEquals("©right", PromptCleaner.clean("&copyright", false));
        assertEquals("\"q\"", PromptCleaner.clean("&quot;q&quot;", false));
    }

    @Test
    void whitespaceLikePython() {
        assertEquals("a b c", PromptCleaner.clean("  a\t\tb\n\r\nc\u00a0 ", false));
        assertEquals("zero\u200bwidth", PromptCleaner.clean("zero\u200bwidth", false));   // U+200B is not \s
        assertEquals("", PromptCleaner.clean(" \u3000\u2028 ", false));
    }

    @Test
    void ftfyLikeSubset() {
        assertEquals("He said \"hi\" and 'bye'", PromptCleaner.clean("He said \u201Chi\u201D and \u2018bye\u2019"));
        assertEquals("fine ABC 123", PromptCleaner.clean("\uFB01ne \uFF21\uFF22\uFF23 \uFF11\uFF12\uFF13"));
        assertEquals("caf\u00e9", PromptCleaner.clean("cafe\u0301"));   // NFC
        assertEquals("plain ascii", PromptCleaner.clean("plain ascii"));
    }
}
