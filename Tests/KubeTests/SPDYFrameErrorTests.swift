import Kube
import Testing

/// Malformed and oversized input, and frames that cannot be encoded: each is a typed error naming
/// what is wrong, and a decoder that failed stays failed.
struct SPDYFrameErrorTests {
    static func decodeError(_ bytes: [UInt8], limits: SPDYFrameDecoder.Limits = .init()) throws -> SPDYFrameError {
        try #require(throws: SPDYFrameError.self) { try SPDYFrameDecoder(limits: limits).decode(bytes) }
    }

    static func synStream(_ fields: [(String, String)]) -> [UInt8] {
        SPDYBytes.synStream(id: 1, compressedHeaders: SPDYBytes.zlibStart(SPDYBytes.block(fields)))
    }

    @Test func aControlFrameOfAnotherVersionIsRefused() throws {
        let error = try Self.decodeError([0x80, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1])
        #expect(error == .unsupportedVersion(2))
        #expect(error.description.contains("version 2"))
    }

    @Test func anOversizedFrameIsRefusedFromItsHeaderAlone() throws {
        // Only the 8-byte header is there: the decoder must not wait for 2 MiB to refuse it.
        let error = try Self.decodeError([0x00, 0x00, 0x00, 0x01, 0x00, 0x20, 0x00, 0x00],
                                         limits: .init(maxFrameLength: 1 << 20))
        #expect(error == .frameTooLarge(length: 0x20_0000, limit: 1 << 20))
        #expect(error.description == "frame length 2097152 exceeds the limit of 1048576 bytes")
    }

    @Test func fixedSizeFramesWithTheWrongLengthAreRefused() throws {
        #expect(try Self.decodeError(SPDYBytes.control(type: 6, [0, 0, 0, 1, 0])) == .invalidLength(.ping, length: 5, expected: "4"))
        #expect(try Self.decodeError(SPDYBytes.control(type: 3, [0, 0, 0, 1])) == .invalidLength(.rstStream, length: 4, expected: "8"))
        #expect(try Self.decodeError(SPDYBytes.control(type: 7, [0, 0, 0, 1])) == .invalidLength(.goAway, length: 4, expected: "8"))
        #expect(try Self.decodeError(SPDYBytes.control(type: 9, [0, 0, 0, 1, 0, 0, 0, 1, 0]))
            == .invalidLength(.windowUpdate, length: 9, expected: "8"))
        #expect(try Self.decodeError(SPDYBytes.control(type: 1, [0, 0, 0, 1, 0, 0, 0, 0, 0]))
            == .invalidLength(.synStream, length: 9, expected: "at least 10"))
        let settings = try Self.decodeError(SPDYBytes.control(type: 4, [0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1]))
        #expect(settings == .settingsCountMismatch(count: 2, length: 12))
    }

    @Test func zeroIDsAndStatusesAreRefused() throws {
        #expect(try Self.decodeError([0, 0, 0, 0, 0, 0, 0, 1, 0x41]) == .zeroStreamID("DATA"))
        #expect(try Self.decodeError(SPDYBytes.control(type: 3, [0, 0, 0, 0, 0, 0, 0, 5])) == .zeroStreamID("RST_STREAM"))
        #expect(try Self.decodeError(SPDYBytes.control(type: 3, [0, 0, 0, 7, 0, 0, 0, 0])) == .zeroResetStatus(streamID: 7))
        #expect(try Self.decodeError(SPDYBytes.control(type: 6, [0, 0, 0, 0])) == .zeroPingID)
        let zeroSyn = SPDYBytes.synStream(id: 0, compressedHeaders: SPDYBytes.zlibStart(SPDYBytes.block([])))
        #expect(try Self.decodeError(zeroSyn) == .zeroStreamID("SYN_STREAM"))
    }

    @Test func aHeaderFrameWithoutAHeaderBlockIsRefused() throws {
        #expect(try Self.decodeError(SPDYBytes.control(type: 2, [0, 0, 0, 1])) == .headerBlockMissing(.synReply))
    }

    @Test func aHeaderBlockCompressedWithAnotherDictionaryIsRefused() throws {
        let bytes = SPDYBytes.synStream(id: 1, compressedHeaders: SPDYBytes.zlibStart(SPDYBytes.block([]), dictionaryID: 0x0000_0001))
        #expect(try Self.decodeError(bytes) == .wrongDictionary(adler32: 1))
    }

    @Test func garbageInsteadOfZlibIsACompressionError() throws {
        let error = try Self.decodeError(SPDYBytes.synStream(id: 1, compressedHeaders: [0x12, 0x34, 0x56, 0x78]))
        guard case .compression(let message) = error else {
            Issue.record("expected a compression error, got \(error)")
            return
        }
        #expect(!message.isEmpty)
    }

    @Test func malformedHeaderBlocksNameTheProblem() throws {
        // Claims two fields, holds one.
        let short = SPDYBytes.be32(2) + Array(SPDYBytes.block([("a", "b")]).dropFirst(4))
        let claim = try Self.decodeError(SPDYBytes.synStream(id: 1, compressedHeaders: SPDYBytes.zlibStart(short)))
        #expect(claim == .malformedHeaderBlock("2 fields claimed but only 10 bytes follow"))
        // A value length running past the end.
        let cut = SPDYBytes.be32(1) + SPDYBytes.be32(1) + Array("a".utf8) + SPDYBytes.be32(50) + Array("b".utf8)
        let cutError = try Self.decodeError(SPDYBytes.synStream(id: 1, compressedHeaders: SPDYBytes.zlibStart(cut)))
        #expect(cutError == .malformedHeaderBlock("the value of a claims 50 bytes but only 1 remain"))
        // Bytes after the last field.
        let trailing = SPDYBytes.block([("a", "b")]) + [0xFF]
        #expect(try Self.decodeError(SPDYBytes.synStream(id: 1, compressedHeaders: SPDYBytes.zlibStart(trailing)))
            == .malformedHeaderBlock("1 bytes follow the last of 1 fields"))
        #expect(try Self.decodeError(Self.synStream([("Streamtype", "error")])) == .invalidHeaderName("Streamtype", reason: "not lowercase"))
        #expect(try Self.decodeError(Self.synStream([("", "x")])) == .invalidHeaderName("", reason: "empty"))
        #expect(try Self.decodeError(Self.synStream([("a", "1"), ("a", "2")])) == .duplicateHeaderName("a"))
        let notUTF8 = SPDYBytes.be32(1) + SPDYBytes.be32(1) + Array("a".utf8) + SPDYBytes.be32(1) + [0xFF]
        #expect(try Self.decodeError(SPDYBytes.synStream(id: 1, compressedHeaders: SPDYBytes.zlibStart(notUTF8)))
            == .headerValueNotUTF8(name: "a"))
    }

    @Test func aDecompressedHeaderBlockAboveTheLimitIsRefused() throws {
        let big = SPDYBytes.block([("big", String(repeating: "x", count: 5000))])
        let error = try Self.decodeError(SPDYBytes.synStream(id: 1, compressedHeaders: SPDYBytes.zlibStart(big)),
                                         limits: .init(maxHeaderBlockLength: 4096))
        #expect(error == .headerBlockTooLarge(limit: 4096))
    }

    @Test func aFailedDecoderKeepsFailing() throws {
        let decoder = SPDYFrameDecoder()
        let first = try #require(throws: SPDYFrameError.self) { try decoder.decode(SPDYBytes.control(type: 6, [0, 0, 0, 0])) }
        // Even a valid frame afterwards gets the same error: the stream position is lost.
        let again = try #require(throws: SPDYFrameError.self) { try decoder.decode(try SPDYFrameEncoder().encode(.ping(id: 3))) }
        #expect(first == again)
    }

    @Test func unencodableFramesAreRefusedAndLeaveTheEncoderUsable() throws {
        let encoder = SPDYFrameEncoder()
        func refused(_ frame: SPDYFrame) throws -> SPDYFrameError {
            try #require(throws: SPDYFrameError.self) { try encoder.encode(frame) }
        }
        #expect(try refused(.data(streamID: 0, payload: [])) == .zeroStreamID("DATA"))
        #expect(try refused(.data(streamID: 0x8000_0000, payload: []))
            == .valueOutOfRange(field: "stream ID", value: 0x8000_0000, maximum: 0x7FFF_FFFF))
        #expect(try refused(.synStream(SPDYSynStream(streamID: 1, priority: 8, headers: [:]))) == .invalidPriority(8))
        #expect(try refused(.synReply(streamID: 1, headers: SPDYHeaderBlock([.init(name: "Upper", value: "x")])))
            == .invalidHeaderName("Upper", reason: "not lowercase"))
        #expect(try refused(.headers(streamID: 1, headers: SPDYHeaderBlock([.init(name: "a", value: "1"), .init(name: "a", value: "2")])))
            == .duplicateHeaderName("a"))
        #expect(try refused(.ping(id: 0)) == .zeroPingID)
        #expect(try refused(.rstStream(streamID: 1, status: SPDYResetStatus(rawValue: 0))) == .zeroResetStatus(streamID: 1))
        #expect(try refused(.windowUpdate(streamID: 1, delta: 0x8000_0000))
            == .valueOutOfRange(field: "window delta", value: 0x8000_0000, maximum: 0x7FFF_FFFF))
        #expect(try refused(.settings(SPDYSettings(entries: [.init(id: 0x100_0000, value: 1)])))
            == .valueOutOfRange(field: "setting ID", value: 0x100_0000, maximum: 0xFF_FFFF))
        #expect(try refused(.data(streamID: 1, payload: [UInt8](repeating: 0, count: 0x100_0000)))
            == .frameTooLarge(length: 0x100_0000, limit: 0xFF_FFFF))

        // Nothing refused reached the compressor: a decoder still follows what comes next.
        let frames: [SPDYFrame] = [.synStream(SPDYSynStream(streamID: 1, headers: ["streamtype": "error"])),
                                   .synReply(streamID: 1, headers: ["a": "b"])]
        var wire: [UInt8] = []
        for frame in frames { try encoder.encode(frame, into: &wire) }
        #expect(try SPDYFrameDecoder().decode(wire) == frames)
    }
}
