import Foundation
import SwiftProtobuf

/// An `application/vnd.kubernetes.protobuf` body: the magic `k8s\0`, then a `runtime.Unknown`
/// (typeMeta, raw, contentEncoding, contentType) whose `raw` is the object's own message.
///
/// Invariant: ``encoded()`` of a decoded envelope decodes to the same apiVersion, kind and raw
/// bytes (a round trip keeps the object's bytes exactly; fields of runtime.Unknown that are not
/// declared are kept too).
public struct ProtobufEnvelope: Sendable, Hashable {
    /// The four bytes every Kubernetes protobuf body starts with.
    public static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]
    /// The media type kube-apiserver and client-go name protobuf bodies with.
    public static let mediaType = "application/vnd.kubernetes.protobuf"

    var message: RuntimeUnknown

    public var apiVersion: String { message.typeMeta.apiVersion }
    public var kind: String { message.typeMeta.kind }
    /// The object's message (a ConfigMap, a Secret, …), without the envelope.
    public var raw: [UInt8] {
        get { Array(message.raw) }
        set { message.raw = Data(newValue) }
    }
    public var contentEncoding: String { message.contentEncoding }

    /// Whether `bytes` start with the magic (a body too short to hold it does not).
    public static func hasMagic(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: magic)
    }

    public init(apiVersion: String, kind: String, raw: [UInt8]) {
        message = RuntimeUnknown()
        message.typeMeta.apiVersion = apiVersion
        message.typeMeta.kind = kind
        message.raw = Data(raw)
    }

    public init(decoding bytes: [UInt8]) throws(ProtobufBodyError) {
        guard Self.hasMagic(bytes) else { throw .noMagic(byteCount: bytes.count) }
        do {
            message = try RuntimeUnknown(serializedBytes: Array(bytes.dropFirst(Self.magic.count)), options: Self.decodingOptions)
        } catch {
            throw .malformedEnvelope("\(error)")
        }
    }

    /// The magic followed by the envelope.
    public func encoded() -> [UInt8] {
        // Serializing a message of declared fields and kept unknown bytes cannot fail: it has no
        // required fields and no Any.
        let body: [UInt8] = (try? message.serializedBytes()) ?? []
        return Self.magic + body
    }

    /// Bounds nesting so hostile input cannot exhaust the stack (Kubernetes objects nest a few
    /// levels; 64 is swift-protobuf's own default, written out so it stays an invariant here).
    static let decodingOptions: BinaryDecodingOptions = {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = 64
        options.discardUnknownFields = false
        return options
    }()
}
