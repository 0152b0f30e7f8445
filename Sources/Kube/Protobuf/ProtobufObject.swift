import Foundation
import SwiftProtobuf

/// Reads the kinds whose fields Portcullis declares (proto/kubernetes) from their protobuf
/// envelope, as the JSON Go would write for the same object (`apiVersion` and `kind` from the
/// envelope). Fields not declared are not rendered.
public enum ProtobufObject {
    /// `(apiVersion, kind)` of every kind read; `Status` is read whatever its apiVersion.
    public static let knownKinds: [(apiVersion: String, kind: String)] = [
        ("v1", "ConfigMap"), ("v1", "ConfigMapList"), ("v1", "Secret"), ("v1", "SecretList"), ("v1", "Namespace"),
        ("v1", "Pod"), ("apps/v1", "Deployment"), ("v1", "Status"),
    ]

    public static func isKnown(apiVersion: String, kind: String) -> Bool {
        kind == "Status" || knownKinds.contains { $0 == (apiVersion, kind) }
    }

    /// Decodes a whole body: the magic, the envelope and the object.
    public static func json(decoding body: [UInt8]) throws(ProtobufBodyError) -> JSONValue {
        try json(try ProtobufEnvelope(decoding: body))
    }

    public static func json(_ envelope: ProtobufEnvelope) throws(ProtobufBodyError) -> JSONValue {
        guard envelope.contentEncoding.isEmpty else { throw .encodedContent(envelope.contentEncoding) }
        let raw = envelope.message.raw
        let object: JSONValue
        switch (envelope.apiVersion, envelope.kind) {
        case (_, "Status"): object = try decode(MetaV1Status.self, raw, kind: "Status").json
        case ("v1", "ConfigMap"): object = try decode(CoreV1ConfigMap.self, raw, kind: "ConfigMap").json
        case ("v1", "ConfigMapList"): object = try decode(CoreV1ConfigMapList.self, raw, kind: "ConfigMapList").json
        case ("v1", "Secret"): object = try decode(CoreV1Secret.self, raw, kind: "Secret").json
        case ("v1", "SecretList"): object = try decode(CoreV1SecretList.self, raw, kind: "SecretList").json
        case ("v1", "Namespace"): object = try decode(CoreV1Namespace.self, raw, kind: "Namespace").json
        case ("v1", "Pod"): object = try decode(CoreV1Pod.self, raw, kind: "Pod").json
        case ("apps/v1", "Deployment"): object = try decode(AppsV1Deployment.self, raw, kind: "Deployment").json
        default: throw .unknownKind(apiVersion: envelope.apiVersion, kind: envelope.kind)
        }
        guard case .object(var members) = object else { return object }
        members["apiVersion"] = .string(envelope.kind == "Status" ? "v1" : envelope.apiVersion)
        members["kind"] = .string(envelope.kind)
        return .object(members)
    }

    static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, _ raw: Data, kind: String) throws(ProtobufBodyError) -> M {
        do {
            return try M(serializedBytes: raw, options: ProtobufEnvelope.decodingOptions)
        } catch {
            throw .malformedObject(kind: kind, "\(error)")
        }
    }
}
