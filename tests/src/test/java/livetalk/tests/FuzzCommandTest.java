package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import livetalk.cli.Main;
import org.junit.jupiter.api.Test;

/**
 * A short pass of {@code livetalk fuzz} (the full run is {@code --count 10000}, see README): every
 * reader gets seeded corrupted files, only documented exceptions come out, no case over 2 s.
 */
class FuzzCommandTest {
    @Test
    void everyReaderSurvivesAShortPass() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        int code;
        try {
            code = Main.execute("fuzz", "--count", "600", "--seed", "14");
        } finally {
            System.setOut(old);
        }
        String out = buf.toString();
        assertEquals(0, code, out);
        for (String reader : new String[] {"safetensors", "zip/pth", "pickle", "wav", "png", "jpeg", "spiece.model", "tokenizer.json", "config.json"}) {
            assertTrue(out.lines().anyMatch(l -> l.startsWith(reader + " ") && l.contains("600 cases") && l.endsWith(" 0 findings")), reader + "\n" + out);
        }
        assertTrue(out.contains("fuzz: 5400 cases") && out.contains(" 0 findings"), out);
    }
}
