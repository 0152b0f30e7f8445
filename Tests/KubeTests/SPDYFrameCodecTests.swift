import Kube
import Testing

/// Hand-built SPDY/3 bytes, independent of the encoder: header blocks are serialized here and
/// "compressed" as zlib stored blocks, which any inflater must accept.
enum SPDYBytes {
    /// Adler-32 of the SPDY/3 dictionary, computed by Python's zlib over spdystream's Go listing
    /// of `headerDictionary` (Tests/clients/spdy_frames.py), not over the Swift one.
    static let dictionaryAdler32: UInt32 = 0xE3C6_A7C2

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    /// An uncompressed header block: count, then length-prefixed names and values.
    static func block(_ fields: [(String, String)]) -> [UInt8] {
        var out = be32(UInt32(fields.count))
        for (name, value) in fields {
            out += be32(UInt32(name.utf8.count)) + Array(name.utf8) + be32(UInt32(value.utf8.count)) + Array(value.utf8)
        }
        return out
    }

    /// A non-final stored deflate block holding `raw`.
    static func stored(_ raw: [UInt8]) -> [UInt8] {
        let n = UInt16(raw.count), nn = ~n
        return [0x00, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(nn & 0xFF), UInt8(nn >> 8)] + raw
    }

    /// The start of a zlib stream that asks for a preset dictionary (FDICT), then `raw` stored.
    static func zlibStart(_ raw: [UInt8], dictionaryID: UInt32 = dictionaryAdler32) -> [UInt8] {
        [0x78, 0xBB] + be32(dictionaryID) + stored(raw)
    }

    static func control(type: UInt16, flags: UInt8 = 0, _ payload: [UInt8]) -> [UInt8] {
        [0x80, 0x03, UInt8(type >> 8), UInt8(type & 0xFF), flags] + Array(be32(UInt32(payload.count)).dropFirst()) + payload
    }

    static func synStream(id: UInt32, priority: UInt8 = 0, compressedHeaders: [UInt8]) -> [UInt8] {
        control(type: 1, be32(id) + be32(0) + [priority << 5, 0] + compressedHeaders)
    }
}

struct SPDYFrameCodecTests {
    /// kubectl's first stream of an exec: `streamtype: error`, stream 1, built by hand byte for byte.
    static let handBuiltSynStream: [UInt8] = [
        0x80, 0x03, 0x00, 0x01,             // control, version 3, SYN_STREAM
        0x00, 0x00, 0x00, 0x30,             // flags 0, length 48 = 10 + 38
        0x00, 0x00, 0x00, 0x01,             // stream 1
        0x00, 0x00, 0x00, 0x00,             // associated stream 0
        0x00, 0x00,                         // priority 0, slot 0
        0x78, 0xBB,                         // zlib: deflate, 32K window, FDICT
        0xE3, 0xC6, 0xA7, 0xC2,             // DICTID: Adler-32 of the SPDY/3 dictionary
        0x00, 0x1B, 0x00, 0xE4, 0xFF,       // stored block, not final, 27 bytes
        0x00, 0x00, 0x00, 0x01,             // one header
        0x00, 0x00, 0x00, 0x0A, 0x73, 0x74, 0x72, 0x65, 0x61, 0x6D, 0x74, 0x79, 0x70, 0x65, // "streamtype"
        0x00, 0x00, 0x00, 0x05, 0x65, 0x72, 0x72, 0x6F, 0x72, // "error"
    ]

    @Test func theDictionaryMatchesSpdystreamsListing() {
        let bytes = SPDYHeaderDictionary.bytes
        #expect(bytes.count == 1423)
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        #expect(b << 16 | a == SPDYBytes.dictionaryAdler32)
        #expect(Array(bytes.prefix(11)) == [0, 0, 0, 7] + Array("options".utf8))
        #expect(Array(bytes.suffix(6)) == Array("enq=0.".utf8))
    }

    @Test func decodesAHandBuiltSynStreamByteForByte() throws {
        #expect(SPDYBytes.synStream(id: 1, compressedHeaders: SPDYBytes.zlibStart(SPDYBytes.block([("streamtype", "error")])))
            == Self.handBuiltSynStream)
        let frames = try SPDYFrameDecoder().decode(Self.handBuiltSynStream)
        #expect(frames == [.synStream(SPDYSynStream(streamID: 1, headers: ["streamtype": "error"]))])
    }

    @Test func theDecompressionContextCarriesOverToTheNextFrame() throws {
        // The second frame continues the zlib stream: no zlib header, just another stored block.
        let second = SPDYBytes.synStream(id: 3, priority: 2, compressedHeaders: SPDYBytes.stored(SPDYBytes.block([("streamtype", "stdout")])))
        let decoder = SPDYFrameDecoder()
        let frames = try decoder.decode(Self.handBuiltSynStream + second)
        #expect(frames.count == 2)
        #expect(frames.last == .synStream(SPDYSynStream(streamID: 3, priority: 2, headers: ["streamtype": "stdout"])))
        // Without the first frame, the same bytes are not a zlib stream.
        #expect(throws: SPDYFrameError.self) { try SPDYFrameDecoder().decode(second) }
    }

    @Test func encodesTheFixedFieldsOfASynStreamByteForByte() throws {
        let bytes = try SPDYFrameEncoder().encode(.synStream(SPDYSynStream(streamID: 1, headers: ["streamtype": "error"])))
        #expect(Array(bytes[0..<5]) == [0x80, 0x03, 0x00, 0x01, 0x00])
        let length = Int(bytes[5]) << 16 | Int(bytes[6]) << 8 | Int(bytes[7])
        #expect(length == bytes.count - 8)
        #expect(Array(bytes[8..<18]) == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
        // A zlib header asking for the SPDY/3 dictionary by its Adler-32.
        #expect(bytes[18] & 0x0F == 8)
        #expect(bytes[19] & 0x20 != 0)
        #expect(Array(bytes[20..<24]) == SPDYBytes.be32(SPDYBytes.dictionaryAdler32))
    }

    static let everyFrameType: [SPDYFrame] = [
        .synStream(SPDYSynStream(streamID: 1, associatedStreamID: 0, priority: 7, slot: 3, fin: false, unidirectional: true,
                                 headers: ["streamtype": "stdin", "x-multi": "a"])),
        .synStream(SPDYSynStream(streamID: 3, fin: true, headers: SPDYHeaderBlock([.init(name: "x-multi", values: ["a", "b", ""])]))),
        .synReply(streamID: 1, headers: [:]),
        .synReply(streamID: 3, headers: ["status": "200 OK", "version": "HTTP/1.1"], fin: true),
        .rstStream(streamID: 5, status: .cancel),
        .rstStream(streamID: 0x7FFF_FFFF, status: SPDYResetStatus(rawValue: 99)),
        .settings(SPDYSettings(clearSettings: true, entries: [.init(id: SPDYSettings.Entry.initialWindowSize, flags: 1, value: 65536),
                                                              .init(id: 0xFF_FFFF, value: .max)])),
        .settings(SPDYSettings(entries: [])),
        .ping(id: 1),
        .ping(id: .max),
        .goAway(lastGoodStreamID: 7, status: .ok),
        .goAway(lastGoodStreamID: 0, status: .protocolError),
        .headers(streamID: 1, headers: ["streamtype": "stdin"]),
        .headers(streamID: 3, headers: ["x": "y"], fin: true),
        .windowUpdate(streamID: 0, delta: 0x7FFF_FFFF),
        .windowUpdate(streamID: 1, delta: 1024),
        .data(streamID: 1, payload: Array("hello\n".utf8)),
        .data(streamID: 3, payload: [], fin: true),
        .data(streamID: 0x7FFF_FFFF, payload: Array(repeating: 0xAB, count: 70_000)),
        .unknownControl(type: 10, flags: 0x5A, payload: [1, 2, 3]),
    ]

    @Test func everyFrameTypeRoundTripsOnOneConnection() throws {
        let encoder = SPDYFrameEncoder()
        var wire: [UInt8] = []
        for frame in Self.everyFrameType { try encoder.encode(frame, into: &wire) }
        #expect(try SPDYFrameDecoder().decode(wire) == Self.everyFrameType)
    }

    @Test(arguments: everyFrameType)
    func eachFrameRoundTripsAlone(_ frame: SPDYFrame) throws {
        #expect(try SPDYFrameDecoder().decode(try SPDYFrameEncoder().encode(frame)) == [frame])
    }

    @Test func fixedSizeFramesHaveTheirExactBytes() throws {
        let encoder = SPDYFrameEncoder()
        #expect(try encoder.encode(.ping(id: 1)) == [0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01])
        #expect(try encoder.encode(.rstStream(streamID: 3, status: .refusedStream))
            == [0x80, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x08, 0, 0, 0, 3, 0, 0, 0, 3])
        #expect(try encoder.encode(.goAway(lastGoodStreamID: 9, status: .ok))
            == [0x80, 0x03, 0x00, 0x07, 0x00, 0x00, 0x00, 0x08, 0, 0, 0, 9, 0, 0, 0, 0])
        #expect(try encoder.encode(.windowUpdate(streamID: 5, delta: 0x10000))
            == [0x80, 0x03, 0x00, 0x09, 0x00, 0x00, 0x00, 0x08, 0, 0, 0, 5, 0, 1, 0, 0])
        #expect(try encoder.encode(.settings(SPDYSettings(clearSettings: true, entries: [.init(id: 4, flags: 1, value: 100)])))
            == [0x80, 0x03, 0x00, 0x04, 0x01, 0x00, 0x00, 0x0C, 0, 0, 0, 1, 0x01, 0, 0, 4, 0, 0, 0, 100])
        #expect(try encoder.encode(.data(streamID: 5, payload: [0x68, 0x69], fin: true))
            == [0x00, 0x00, 0x00, 0x05, 0x01, 0x00, 0x00, 0x02, 0x68, 0x69])
    }

    /// Frames with header blocks, so the decompression context must survive every split.
    static let session: [SPDYFrame] = [
        .synStream(SPDYSynStream(streamID: 1, headers: ["streamtype": "error"])),
        .synStream(SPDYSynStream(streamID: 3, headers: ["streamtype": "stdin"])),
        .synStream(SPDYSynStream(streamID: 5, headers: ["streamtype": "stdout"])),
        .ping(id: 1),
        .data(streamID: 3, payload: Array("piped input\n".utf8)),
        .data(streamID: 3, payload: [], fin: true),
        .headers(streamID: 5, headers: ["streamtype": "stdout", "extra": "value"]),
        .goAway(lastGoodStreamID: 0, status: .ok),
    ]

    @Test func aFrameSplitAcrossReadsComesOutOnceWhole() throws {
        let wire = try Self.encode(Self.session)
        let decoder = SPDYFrameDecoder()
        var frames: [SPDYFrame] = []
        for byte in wire {
            decoder.append([byte])
            while let frame = try decoder.nextFrame() { frames.append(frame) }
        }
        #expect(frames == Self.session)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test(arguments: [1, 7, 13, 64, 1000])
    func anyChunkingGivesTheSameFrames(seed: UInt64) throws {
        let wire = try Self.encode(Self.session)
        var state = seed
        let decoder = SPDYFrameDecoder()
        var frames: [SPDYFrame] = []
        var offset = 0
        while offset < wire.count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let size = Int((state >> 33) % 23)
            let end = min(wire.count, offset + size)
            frames += try decoder.decode(wire[offset..<end])
            offset = end
        }
        #expect(frames == Self.session)
    }

    @Test func anIncompleteFrameWaitsForMoreBytes() throws {
        let decoder = SPDYFrameDecoder()
        let wire = try SPDYFrameEncoder().encode(.data(streamID: 1, payload: [1, 2, 3]))
        #expect(try decoder.decode(wire.dropLast()) == [])
        #expect(decoder.bufferedByteCount == wire.count - 1)
        #expect(try decoder.decode(wire.suffix(1)) == [.data(streamID: 1, payload: [1, 2, 3])])
    }

    @Test func streamTypesAndProtocolNegotiation() {
        #expect(RemoteCommandStreamType(headers: ["streamtype": "stdout"]) == .stdout)
        #expect(RemoteCommandStreamType(headers: ["Streamtype": "resize"])?.channel == .resize)
        #expect(RemoteCommandStreamType(headers: ["streamtype": "data"]) == nil)
        // kubectl 1.32 with SPDY offers v5 first; the kubelet (and the sandbox) pick v4.
        #expect(ChannelProtocol.negotiateSPDY(["v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io"]) == .v4)
        #expect(ChannelProtocol.negotiateSPDY(["v5.channel.k8s.io"]) == .v5)
        #expect(ChannelProtocol.negotiateSPDY(["v3.channel.k8s.io, v2.channel.k8s.io", "channel.k8s.io"]) == nil)
        #expect(ChannelProtocol.negotiateSPDY([]) == nil)
    }

    static func encode(_ frames: [SPDYFrame]) throws -> [UInt8] {
        let encoder = SPDYFrameEncoder()
        var wire: [UInt8] = []
        for frame in frames { try encoder.encode(frame, into: &wire) }
        return wire
    }
}
