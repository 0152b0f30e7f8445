/// Why an `application/vnd.kubernetes.protobuf` body could not be read.
public enum ProtobufBodyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The body does not start with the magic `k8s\0`.
    case noMagic(byteCount: Int)
    /// The envelope (runtime.Unknown) after the magic does not decode; the decoder's complaint.
    case malformedEnvelope(String)
    /// The envelope says its raw bytes are encoded (`contentEncoding`), which no Kubernetes
    /// serializer does today.
    case encodedContent(String)
    /// A kind whose fields Portcullis does not declare.
    case unknownKind(apiVersion: String, kind: String)
    /// The object inside a known kind's envelope does not decode.
    case malformedObject(kind: String, String)
    /// A protobuf watch frame (a WatchEvent without the envelope) that does not decode.
    case malformedWatchEvent(String)

    public var description: String {
        switch self {
        case .noMagic(let count):
            return "not a Kubernetes protobuf body: \(count) bytes that do not start with \"k8s\\0\""
        case .malformedEnvelope(let why): return "malformed protobuf envelope (runtime.Unknown): \(why)"
        case .encodedContent(let encoding): return "protobuf body with content encoding \(goQuote(encoding)), which is not read"
        case .unknownKind(let apiVersion, let kind):
            let gv = apiVersion.isEmpty ? "" : " (\(apiVersion))"
            return "protobuf body of kind \(goQuote(kind))\(gv), which is not one Portcullis reads"
        case .malformedObject(let kind, let why): return "malformed protobuf \(kind): \(why)"
        case .malformedWatchEvent(let why): return "malformed protobuf watch event: \(why)"
        }
    }
}
