/// A parsed `sh -c` script: pipelines joined by `;`, `&&`, `||` or newlines.
struct ShellScript: Equatable {
    enum Connector: Equatable { case sequence, and, or }

    struct Step: Equatable {
        /// How this step is joined to the previous one (ignored for the first).
        var connector: Connector
        /// Commands whose stdout feeds the next one's stdin.
        var pipeline: [[Word]]
    }

    /// A word before expansion: its pieces keep whether `$VAR` may expand in them.
    struct Word: Equatable {
        var pieces: [(text: String, expands: Bool)]

        static func == (a: Word, b: Word) -> Bool {
            a.pieces.elementsEqual(b.pieces) { $0.text == $1.text && $0.expands == $1.expands }
        }
    }

    var steps: [Step]

    struct ParseError: Error, Equatable {
        var message: String
    }

    init(parsing script: String) throws(ParseError) {
        var tokens = try Self.tokenize(script)
        steps = []
        var connector = Connector.sequence
        var pipeline: [[Word]] = []
        var command: [Word] = []
        func endCommand() throws(ParseError) {
            guard !command.isEmpty else { throw ParseError(message: "syntax error: a command is missing before an operator") }
            pipeline.append(command)
            command = []
        }
        tokens.append(.separator(";"))
        for token in tokens {
            switch token {
            case .word(let w): command.append(w)
            case .separator("|"):
                try endCommand()
            case .separator(let op):
                if command.isEmpty, pipeline.isEmpty {
                    if op == ";" || op == "\n" { continue }
                    throw ParseError(message: "syntax error near unexpected token `\(op)'")
                }
                try endCommand()
                steps.append(Step(connector: connector, pipeline: pipeline))
                pipeline = []
                connector = op == "&&" ? .and : op == "||" ? .or : .sequence
            }
        }
        if connector != .sequence { throw ParseError(message: "syntax error: unexpected end of script") }
    }

    private enum Token {
        case word(Word)
        case separator(String)
    }

    private static func tokenize(_ script: String) throws(ParseError) -> [Token] {
        var tokens: [Token] = []
        var pieces: [(String, Bool)] = []
        var current = ""
        var inWord = false
        var chars = Array(script)[...]
        func flushPiece(expands: Bool) {
            if !current.isEmpty { pieces.append((current, expands)) }
            current = ""
        }
        func endWord() {
            flushPiece(expands: true)
            if inWord { tokens.append(.word(Word(pieces: pieces.map { (text: $0.0, expands: $0.1) }))) }
            pieces = []
            inWord = false
        }
        while let c = chars.popFirst() {
            switch c {
            case " ", "\t": endWord()
            case "\n", ";":
                endWord()
                tokens.append(.separator(String(c)))
            case "&", "|":
                endWord()
                if chars.first == c {
                    chars.removeFirst()
                    tokens.append(.separator(String([c, c])))
                } else if c == "|" {
                    tokens.append(.separator("|"))
                } else {
                    throw ParseError(message: "background jobs (&) are not supported")
                }
            case "'":
                flushPiece(expands: true)
                inWord = true
                guard let end = chars.firstIndex(of: "'") else { throw ParseError(message: "unterminated quoted string") }
                pieces.append((String(chars[..<end]), false))
                chars = chars[(end + 1)...]
            case "\"":
                flushPiece(expands: true)
                inWord = true
                var text = ""
                var closed = false
                while let d = chars.popFirst() {
                    if d == "\"" { closed = true; break }
                    if d == "\\", let next = chars.first, "\"\\$`".contains(next) {
                        text.append(next)
                        chars.removeFirst()
                    } else {
                        text.append(d)
                    }
                }
                guard closed else { throw ParseError(message: "unterminated quoted string") }
                pieces.append((text, true))
            case "\\":
                inWord = true
                flushPiece(expands: true)
                if let next = chars.popFirst() { pieces.append((String(next), false)) }
            case "<", ">":
                throw ParseError(message: "redirections are not supported by the sandbox shell")
            default:
                inWord = true
                current.append(c)
            }
        }
        endWord()
        return tokens
    }
}
