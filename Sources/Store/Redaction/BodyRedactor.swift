import Kube

/// Redacts Secrets in a request or response body, an event, before it is written anywhere.
///
/// - A JSON body (by content type, and starting with `{` or `[`) is parsed, as one document or a
///   sequence of them; when a Secret was found it is written again with the values replaced
///   (keys sorted, as Go writes maps). A body that needs nothing keeps its exact bytes.
/// - A body that could not be read to its end (cut at the recording limit, or not JSON past some
///   point) is redacted on what could be read, conservatively (see ``SecretRedactor``); if it was
///   not JSON past some point, only the part before is kept and the body counts as cut. A body cut
///   at the limit is parsed even when it does not mention `Secret`: the kind may be past the cut.
/// - A protobuf body (`k8s\0`, see ``ProtobufBodyRedactor``) holding a Secret or SecretList is
///   decoded and stored re-encoded with its values redacted and its metadata kept.
/// - A body that is not JSON passes unchanged, except in a request or response about Secrets
///   (YAML, a protobuf body that does not decode or is of another kind): its bytes are replaced
///   by a note of their size, as Secret values cannot be told apart in it.
public struct BodyRedactor: Sendable, Hashable {
    public let enabled: Bool

    public init(_ configuration: RedactionConfiguration) {
        enabled = configuration.secrets
    }

    public struct Output: Sendable, Hashable {
        public var body: [UInt8]
        /// The stored body is shorter than what was read: part of it could not be examined.
        public var cut: Bool
    }

    /// - Parameters:
    ///   - contentType: the body's `Content-Type`, if known.
    ///   - aboutSecrets: the request is to the core `secrets` resource.
    ///   - topLevelIsSecret: treat the top-level object as a Secret even without a kind (request
    ///     bodies to `secrets`: patches).
    ///   - wasCut: the body was cut at the recording limit before it got here.
    public func redact(_ body: [UInt8], contentType: String?, aboutSecrets: Bool, topLevelIsSecret: Bool = false,
                       wasCut: Bool = false) -> Output {
        guard enabled, let first = body.first(where: { !Self.isWhitespace($0) }) else { return Output(body: body, cut: false) }
        if ProtobufEnvelope.hasMagic(body) {
            return Output(body: ProtobufBodyRedactor.redact(body, aboutSecrets: aboutSecrets, wasCut: wasCut), cut: false)
        }
        let looksJSON = (first == UInt8(ascii: "{") || first == UInt8(ascii: "[")) && Self.mayBeJSON(contentType)
        guard looksJSON else {
            guard aboutSecrets else { return Output(body: body, cut: false) }
            return Output(body: Self.note(body.count, "that are not JSON"), cut: false)
        }
        // A body cut short is parsed whatever it mentions: its kind may be in the part that was cut.
        guard aboutSecrets || wasCut || Self.mayMentionSecret(body) else { return Output(body: body, cut: false) }
        let parsed = JSONPrefixParser.parse(body)
        let redactor = SecretRedactor(conservative: wasCut || parsed.ending != .complete)
        var values = parsed.values
        var changed = false
        for index in values.indices where redactor.redact(&values[index], isSecret: topLevelIsSecret) { changed = true }
        if case .invalid = parsed.ending {
            return Output(body: Self.encode(values), cut: true)
        }
        guard changed else { return Output(body: body, cut: false) }
        return Output(body: Self.encode(values), cut: false)
    }

    /// What a body whose Secret values cannot be told apart is stored as.
    static func note(_ count: Int, _ what: String) -> [UInt8] {
        Array("[redacted: \(count) bytes \(what), about Secrets]".utf8)
    }

    /// Redacts one frame of a protobuf watch stream (with its 4-byte length).
    func redactProtobufFrame(_ frame: [UInt8], aboutSecrets: Bool) -> [UInt8] {
        enabled ? ProtobufBodyRedactor.redactFrame(frame, aboutSecrets: aboutSecrets) : frame
    }

    /// Redacts one complete watch event (or any single JSON value).
    func redactEvent(_ event: [UInt8], aboutSecrets: Bool) -> [UInt8] {
        redact(event, contentType: "application/json", aboutSecrets: aboutSecrets).body
    }

    static func encode(_ values: [JSONValue]) -> [UInt8] {
        var out: [UInt8] = []
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "\n")) }
            GoJSON.append(value, to: &out)
        }
        if values.count > 1 { out.append(UInt8(ascii: "\n")) }
        return out
    }

    /// JSON, JSON-flavoured (`application/merge-patch+json`), YAML (server-side apply sends JSON
    /// as YAML), or unknown.
    static func mayBeJSON(_ contentType: String?) -> Bool {
        guard let type = contentType?.lowercased(), !type.isEmpty else { return true }
        return type.contains("json") || type.contains("yaml")
    }

    /// A Secret's kind is spelled `Secret` in the bytes, unless a letter of it is escaped
    /// (`\u0053ecret`). Go's encoder never escapes letters (only `<`, `>`, `&`, control characters
    /// and U+2028/9), so what kube-apiserver writes is parsed only when it mentions `Secret`.
    static func mayMentionSecret(_ body: [UInt8]) -> Bool {
        contains(body, Array("Secret".utf8)) || containsEscapedLetter(body)
    }

    /// Whether `\u00XX` with XX in 0x40...0x7F (every ASCII letter) occurs.
    static func containsEscapedLetter(_ body: [UInt8]) -> Bool {
        guard body.count >= 6 else { return false }
        var index = 0
        while index <= body.count - 6 {
            if body[index] == UInt8(ascii: "\\"), body[index + 1] == UInt8(ascii: "u"), body[index + 2] == UInt8(ascii: "0"),
               body[index + 3] == UInt8(ascii: "0"), (UInt8(ascii: "4")...UInt8(ascii: "7")).contains(body[index + 4]) {
                return true
            }
            index += 1
        }
        return false
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var matched = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    matched = false
                    break
                }
                if matched { return true }
            }
            index += 1
        }
        return false
    }

    static func isWhitespace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }
}
