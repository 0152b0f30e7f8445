/// A Kubernetes request or response body as JSON: JSON as sent, or a protobuf body
/// (`application/vnd.kubernetes.protobuf`) of a kind ``ProtobufObject`` reads; nil for anything
/// else (YAML, other kinds, bytes that do not decode).
public enum KubeBody {
    public static func json(_ bytes: [UInt8]) -> JSONValue? {
        if ProtobufEnvelope.hasMagic(bytes) { return try? ProtobufObject.json(decoding: bytes) }
        return try? JSONParser.parse(bytes)
    }
}
