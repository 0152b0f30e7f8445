import Foundation

/// One frame of a protobuf watch stream (`application/vnd.kubernetes.protobuf;stream=watch`)
/// without its 4-byte length: a `meta.v1.WatchEvent` (no envelope) whose object is an enveloped
/// object (`k8s\0` + runtime.Unknown).
public struct ProtobufWatchEvent: Sendable, Hashable {
    /// `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK` or `ERROR`.
    public var type: String
    /// The enveloped object's bytes.
    public var object: [UInt8]

    public init(type: String, object: [UInt8]) {
        self.type = type
        self.object = object
    }

    public init(decoding frame: [UInt8]) throws(ProtobufBodyError) {
        do {
            let event = try MetaV1WatchEvent(serializedBytes: frame, options: ProtobufEnvelope.decodingOptions)
            type = event.type
            object = Array(event.object.raw)
        } catch {
            throw .malformedWatchEvent("\(error)")
        }
    }

    /// The event's message, without a length.
    public func encoded() -> [UInt8] {
        var event = MetaV1WatchEvent()
        event.type = type
        event.object.raw = Data(object)
        return Array(ProtobufSecrets.serialized(event))
    }

    /// `{"type":…,"object":…}` with the object as JSON when its kind is known.
    public func json() throws(ProtobufBodyError) -> JSONValue {
        .object(["type": .string(type), "object": try ProtobufObject.json(decoding: object)])
    }
}
