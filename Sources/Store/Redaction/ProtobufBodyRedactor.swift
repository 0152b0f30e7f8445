import Kube

/// Redacts Secrets in `application/vnd.kubernetes.protobuf` bodies (`k8s\0` + runtime.Unknown)
/// and protobuf watch frames.
///
/// - A Secret or SecretList is decoded and stored re-encoded with every `data` and `stringData`
///   value replaced by the placeholder and the last-applied annotation redacted as JSON, its
///   metadata kept (``ProtobufSecrets``), so `show` and `export` can still name it.
/// - Any other kind is kept byte for byte, unless the body is about Secrets (a request to the
///   `secrets` resource) and is not a Status, or its bytes mention `Secret` (a `List` may carry
///   one): then only a note of its size is kept.
/// - A body that does not decode (cut at the recording limit, malformed, encoded) is kept only
///   when it is not about Secrets and does not mention `Secret`; otherwise a note of its size.
///
/// Invariant: the output never holds a byte of a Secret value that a decodable input held; the
/// bytes of an undecodable body that may hold one are never kept.
enum ProtobufBodyRedactor {
    static func redact(_ body: [UInt8], aboutSecrets: Bool, wasCut: Bool) -> [UInt8] {
        let risky = aboutSecrets || BodyRedactor.contains(body, secretWord)
        guard !wasCut, let envelope = try? ProtobufEnvelope(decoding: body) else {
            return risky ? BodyRedactor.note(body.count, "of protobuf that could not be read") : body
        }
        do {
            if let redacted = try ProtobufSecrets.redacted(envelope, annotation: SecretRedactor(conservative: false).redactEmbedded) {
                return redacted.encoded()
            }
        } catch {
            return BodyRedactor.note(body.count, "of protobuf that could not be read (\(envelope.kind))")
        }
        guard risky, envelope.kind != "Status" else { return body }
        return BodyRedactor.note(body.count, "of protobuf \(envelope.kind)")
    }

    /// One frame of a protobuf watch stream, with its 4-byte length: the event's object redacted
    /// as a body, the frame's length written again.
    static func redactFrame(_ frame: [UInt8], aboutSecrets: Bool) -> [UInt8] {
        let risky = aboutSecrets || BodyRedactor.contains(frame, secretWord)
        guard risky else { return frame }
        guard frame.count >= 4, let length = Self.length(frame), length == frame.count - 4,
              var event = try? ProtobufWatchEvent(decoding: Array(frame[4...])),
              ProtobufEnvelope.hasMagic(event.object) else {
            return BodyRedactor.note(frame.count, "of a protobuf watch event that could not be read")
        }
        event.object = redact(event.object, aboutSecrets: aboutSecrets, wasCut: false)
        let encoded = event.encoded()
        return withLength(encoded)
    }

    static let secretWord = Array("Secret".utf8)

    static func length(_ frame: [UInt8]) -> Int? {
        guard frame.count >= 4 else { return nil }
        return frame[0..<4].reduce(0) { $0 << 8 | Int($1) }
    }

    static func withLength(_ bytes: [UInt8]) -> [UInt8] {
        let n = UInt32(truncatingIfNeeded: bytes.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + bytes
    }
}
