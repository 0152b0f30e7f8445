import Kube
import Testing

/// `goQuote` against Go's `strconv.Quote` (`%q`).
struct GoQuoteTests {
    @Test(arguments: [
        ("web-1", #""web-1""#),
        ("", #""""#),
        (#"a"b\c"#, #""a\"b\\c""#),
        ("\u{07}\u{08}\u{0C}\n\r\t\u{0B}", #""\a\b\f\n\r\t\v""#),
        ("\u{00}\u{1B}\u{7F}", #""\x00\x1b\x7f""#),
        ("é中😀 \u{301}", "\"é中😀 \u{301}\""),
        ("\u{85}", #""\u0085""#),
        ("a\u{A0}b", #""a\u00a0b""#),
        ("\u{AD}", #""\u00ad""#),
        ("\u{200B}\u{2028}\u{3000}", #""\u200b\u2028\u3000""#),
        ("\u{E000}", #""\ue000""#),
        ("\u{E0001}", #""\U000e0001""#),
    ])
    func quotesAsGoDoes(_ text: String, _ quoted: String) {
        #expect(Array(goQuote(text).unicodeScalars) == Array(quoted.unicodeScalars))
    }
}
