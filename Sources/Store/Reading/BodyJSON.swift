import Kube

/// A recorded body as JSON, for `show`, `export` and the summaries: JSON as stored, or a protobuf
/// body (`k8s\0`) of a kind Portcullis reads rendered as the JSON Go would write for it. A
/// protobuf body of another kind stays bytes and is described by ``protobufNote(_:)``.
enum BodyJSON {
    static func parse(_ body: [UInt8]) -> JSONValue? { KubeBody.json(body) }

    /// `protobuf ConfigMap (v1), rendered as JSON`, `protobuf Lease (coordination.k8s.io/v1), not
    /// rendered`, `protobuf that does not decode: …`; nil for a body that is not protobuf.
    static func protobufNote(_ body: [UInt8]) -> String? {
        guard ProtobufEnvelope.hasMagic(body) else { return nil }
        let envelope: ProtobufEnvelope
        do {
            envelope = try ProtobufEnvelope(decoding: body)
        } catch {
            return "protobuf that does not decode: \(error)"
        }
        let name = "protobuf \(envelope.kind) (\(envelope.apiVersion.isEmpty ? "no apiVersion" : envelope.apiVersion))"
        do {
            _ = try ProtobufObject.json(envelope)
            return "\(name), rendered as JSON"
        } catch .unknownKind {
            return "\(name), not rendered"
        } catch {
            return "\(name) that does not decode: \(error)"
        }
    }
}
