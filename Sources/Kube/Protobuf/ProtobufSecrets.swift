import Foundation
import SwiftProtobuf

/// Replaces the values of Secrets in protobuf bodies, keeping everything else (names, labels,
/// annotations, type), so a recording holds a Secret's metadata but never its values.
///
/// Invariant: the bytes ``redacted(_:annotation:)`` returns hold no byte of the
/// input's `data` or `stringData` values: the Secret is re-encoded from its declared fields only
/// (unknown fields of the Secret and of its metadata are dropped, as they could carry a value a
/// later Kubernetes added), each value replaced by the placeholder, and the last-applied
/// annotation (kubectl's JSON copy of the object) replaced by what `annotation` makes of it.
public enum ProtobufSecrets {
    public static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"
    /// What each value becomes (the recording's placeholder); a `data` value of exactly these
    /// bytes is rendered as this text rather than as base64, so a redacted Secret reads as the
    /// JSON redactor writes one.
    public static let placeholder = "[redacted]"

    /// Whether the envelope holds a Secret or a SecretList, whatever its apiVersion says (redacting
    /// a look-alike costs nothing).
    public static func holdsSecrets(_ envelope: ProtobufEnvelope) -> Bool {
        envelope.kind == "Secret" || envelope.kind == "SecretList"
    }

    /// The envelope with its Secret (or every Secret of its SecretList) redacted; nil when it
    /// holds no Secret. Throws when the Secret cannot be decoded: the caller must then keep none
    /// of its bytes.
    public static func redacted(_ envelope: ProtobufEnvelope,
                                annotation: (String) -> String) throws(ProtobufBodyError) -> ProtobufEnvelope? {
        guard holdsSecrets(envelope) else { return nil }
        guard envelope.contentEncoding.isEmpty else { throw .encodedContent(envelope.contentEncoding) }
        var out = envelope
        out.message.unknownFields = UnknownStorage()
        if envelope.kind == "Secret" {
            var secret = try ProtobufObject.decode(CoreV1Secret.self, envelope.message.raw, kind: "Secret")
            redact(&secret, annotation: annotation)
            out.message.raw = serialized(secret)
        } else {
            var list = try ProtobufObject.decode(CoreV1SecretList.self, envelope.message.raw, kind: "SecretList")
            list.unknownFields = UnknownStorage()
            for index in list.items.indices { redact(&list.items[index], annotation: annotation) }
            out.message.raw = serialized(list)
        }
        return out
    }

    static func redact(_ secret: inout CoreV1Secret, annotation: (String) -> String) {
        let value = Data(placeholder.utf8)
        secret.unknownFields = UnknownStorage()
        secret.data = secret.data.mapValues { _ in value }
        secret.stringData = secret.stringData.mapValues { _ in placeholder }
        guard secret.hasMetadata else { return }
        secret.metadata.unknownFields = UnknownStorage()
        if let text = secret.metadata.annotations[lastAppliedAnnotation] {
            secret.metadata.annotations[lastAppliedAnnotation] = annotation(text)
        }
        for index in secret.metadata.managedFields.indices { secret.metadata.managedFields[index].unknownFields = UnknownStorage() }
        for index in secret.metadata.ownerReferences.indices { secret.metadata.ownerReferences[index].unknownFields = UnknownStorage() }
    }

    /// A decoded message always serializes: no required fields, no Any.
    static func serialized(_ message: some SwiftProtobuf.Message) -> Data {
        (try? message.serializedBytes()) ?? Data()
    }
}
