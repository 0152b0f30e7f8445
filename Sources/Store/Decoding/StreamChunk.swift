/// A piece of an upgraded stream as it is recorded: one channel message (`stdin`, `stdout`,
/// `stderr`, `error`, `resize`, `close`) or bytes that could not be decoded (`raw`).
struct StreamChunk: Sendable, Hashable {
    var channel: String
    var data: [UInt8]

    static let raw = "raw"

    static func raw(_ bytes: [UInt8]) -> StreamChunk { StreamChunk(channel: raw, data: bytes) }
}
