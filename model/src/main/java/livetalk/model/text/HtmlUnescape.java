package livetalk.model.text;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Python's {@code html.unescape}: numeric character references with its replacement rules, and
 * named references. The named table here is a subset of HTML5's 2231 names: the Latin-1 set
 * (which includes every name HTML5 also accepts without the semicolon) plus the common
 * typographic ones; an unknown name is left as it is, as Python leaves unknown names.
 */
final class HtmlUnescape {
    private HtmlUnescape() {
    }

    private static final Pattern REF = Pattern.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)");

    /** Names accepted without ';' by HTML5 (the legacy set): Latin-1 U+00A0–U+00FF plus these. */
    private static final String[] LATIN1 = ("nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr "
            + "deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest "
            + "Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml "
            + "ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig "
            + "agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml "
            + "eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml").split(" ");

    private static final Map<String, String> WITH_SEMI = new HashMap<>();
    private static final Map<String, String> LEGACY = new HashMap<>();

    static {
        for (int i = 0; i < LATIN1.length; i++) LEGACY.put(LATIN1[i], String.valueOf((char) (0xA0 + i)));
        for (String[] e : new String[][]{{"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"AMP", "&"}, {"LT", "<"},
                {"GT", ">"}, {"QUOT", "\""}, {"COPY", "\u00A9"}, {"REG", "\u00AE"}}) LEGACY.put(e[0], e[1]);
        WITH_SEMI.putAll(LEGACY);
        String[][] more = {{"apos", "'"}, {"hellip", "\u2026"}, {"mdash", "\u2014"}, {"ndash", "\u2013"}, {"lsquo", "\u2018"},
                {"rsquo", "\u2019"}, {"sbquo", "\u201A"}, {"ldquo", "\u201C"}, {"rdquo", "\u201D"}, {"bdquo", "\u201E"},
                {"bull", "\u2022"}, {"euro", "\u20AC"}, {"trade", "\u2122"}, {"dagger", "\u2020"}, {"Dagger", "\u2021"},
                {"permil", "\u2030"}, {"lsaquo", "\u2039"}, {"rsaquo", "\u203A"}, {"prime", "\u2032"}, {"Prime", "\u2033"},
                {"larr", "\u2190"}, {"rarr", "\u2192"}, {"uarr", "\u2191"}, {"darr", "\u2193"}, {"harr", "\u2194"},
                {"ensp", "\u2002"}, {"emsp", "\u2003"}, {"thinsp", "\u2009"}, {"zwnj", "\u200C"}, {"zwj", "\u200D"},
                {"lrm", "\u200E"}, {"rlm", "\u200F"}, {"OElig", "\u0152"}, {"oelig", "\u0153"}, {"Scaron", "\u0160"},
                {"scaron", "\u0161"}, {"Yuml", "\u0178"}, {"fnof", "\u0192"}, {"circ", "\u02C6"}, {"tilde", "\u02DC"},
                {"infin", "\u221E"}, {"ne", "\u2260"}, {"le", "\u2264"}, {"ge", "\u2265"}, {"minus", "\u2212"},
                {"hearts", "\u2665"}, {"star", "\u2606"}, {"check", "\u2713"}, {"alpha", "\u03B1"}, {"beta", "\u03B2"},
                {"gamma", "\u03B3"}, {"delta", "\u03B4"}, {"pi", "\u03C0"}, {"mu", "\u03BC"}, {"sigma", "\u03C3"},
                {"omega", "\u03C9"}, {"Omega", "\u03A9"}, {"deg", "\u00B0"}};
        for (String[] e : more) WITH_SEMI.put(e[0], e[1]);
    }

    /** cp1252 meanings Python gives to references 0x80–0x9F (html._invalid_charrefs). */
    private static final String CP1252 = "\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F"
            + "\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178";

    static String unescape(String s) {
        if (s.indexOf('&') < 0) return s;
        Matcher m = REF.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(replace(m.group(1))));
        m.appendTail(sb);
        return sb.toString();
    }

    private static String replace(String s) {
        if (s.charAt(0) == '#') {
            String digits = s.endsWith(";") ? s.substring(1, s.length() - 1) : s.substring(1);
            long num;
            try {
                num = digits.charAt(0) == 'x' || digits.charAt(0) == 'X'
                        ? Long.parseLong(digits.substring(1), 16) : Long.parseLong(digits);
            } catch (NumberFormatException e) {
                num = Long.MAX_VALUE;   // too many digits: out of range, as in Python
            }
            if (num == 0) return "\uFFFD";
            if (num == 0x0d) return "\r";
            if (num >= 0x80 && num <= 0x9f) return String.valueOf(CP1252.charAt((int) num - 0x80));
            if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return "\uFFFD";
            if (invalidCodepoint((int) num)) return "";
            return new String(Character.toChars((int) num));
        }
        if (s.endsWith(";") && WITH_SEMI.containsKey(s.substring(0, s.length() - 1))) return WITH_SEMI.get(s.substring(0, s.length() - 1));
        if (LEGACY.containsKey(s)) return LEGACY.get(s);
        for (int x = s.length() - 1; x > 1; x--) {   // longest legacy name that prefixes the text
            if (LEGACY.containsKey(s.substring(0, x))) return LEGACY.get(s.substring(0, x)) + s.substring(x);
        }
        return "&" + s;
    }

    /** html._invalid_codepoints: C0/C1 controls other than whitespace, and the noncharacters. */
    private static boolean invalidCodepoint(int c) {
        if ((c >= 0x1 && c <= 0x8) || (c >= 0xe && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) || (c >= 0xfdd0 && c <= 0xfdef)) return true;
        if (c == 0xb) return true;
        return (c & 0xfffe) == 0xfffe;
    }
}
