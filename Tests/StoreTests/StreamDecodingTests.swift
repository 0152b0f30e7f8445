import Foundation
import Kube
@testable import Store
import Testing

/// The stream decoders on their own: splitting watch bodies and log streams at any chunk boundary,
/// WebSocket framing (masks, lengths, fragments, control frames, garbage), gzip, and the lenient
/// JSON reading that redaction relies on for cut bodies.
@Suite struct StreamDecodingTests {
    @Test func watchEventsSplitAtEveryPossibleBoundary() {
        let events = ["{\"a\":\"}\\\"{[\"}", "[1,{\"b\":[2,3]}]", "{\"c\":{\"d\":\"\\\\\"}}", "{}"]
        let body = [UInt8](events.joined(separator: "\n") + "\n")
        for split in 1..<body.count {
            var splitter = JSONEventSplitter(maxEventBytes: 1000)
            var pieces = splitter.feed(Array(body[..<split]))
            pieces += splitter.feed(Array(body[split...]))
            pieces += splitter.finish()
            #expect(pieces == events.map { .event([UInt8]($0)) }, "split at \(split)")
        }
    }

    @Test func whitespaceInsideAnEventDoesNotEndIt() {
        let events = ["{\"type\": \"ADDED\",\n \"object\": {\"a\": [1, 2]}}", "42", "{ }"]
        var splitter = JSONEventSplitter(maxEventBytes: 1000)
        let pieces = splitter.feed([UInt8](events.joined(separator: " \r\n\t")  + "\n")) + splitter.finish()
        #expect(pieces == events.map { .event([UInt8]($0)) })
    }

    @Test func anOversizedWatchEventIsCutAndTheNextOneStillComesOut() {
        var splitter = JSONEventSplitter(maxEventBytes: 10)
        let pieces = splitter.feed([UInt8]("{\"long\":\"0123456789abcdef\"}{\"x\":1}"))
        #expect(pieces == [.cut([UInt8]("{\"long\":\"0")), .event([UInt8]("{\"x\":1}"))])
        var unfinished = JSONEventSplitter(maxEventBytes: 100)
        #expect(unfinished.feed([UInt8]("{\"a\":")).isEmpty)
        #expect(unfinished.finish() == [.cut([UInt8]("{\"a\":"))])
    }

    @Test func logLinesKeepTheirNewlinesAndLongLinesComeInPieces() {
        var splitter = LineSplitter(maxLineBytes: 4)
        var lines = splitter.feed([UInt8]("ab\ncdefgh"))
        lines += splitter.feed([UInt8]("ij\n\nk"))
        lines += splitter.finish()
        #expect(lines.map { String(decoding: $0, as: UTF8.self) } == ["ab\n", "cdef", "ghij", "\n", "\n", "k"])
    }

    @Test func protobufWatchFramesSplitOnTheirLengths() {
        var splitter = LengthPrefixedSplitter(maxFrameBytes: 8)
        let frames = splitter.feed([0, 0, 0, 2, 7, 7, 0, 0]) + splitter.feed([0, 1, 9, 0, 0, 0, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0, 0, 0])
        #expect(frames == [[0, 0, 0, 2, 7, 7], [0, 0, 0, 1, 9], [0, 0, 0, 10, 1, 2, 3, 4], [0, 0, 0, 0]])
    }

    @Test func webSocketFramesOfEveryLengthFormUnmaskCorrectly() {
        for length in [0, 1, 125, 126, 65_535, 65_536, 70_000] {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            for mask in [nil, WebSocketBytes.clientMask] {
                var parser = WebSocketFrameParser()
                let bytes = WebSocketBytes.frame(2, payload, mask: mask)
                var data: [UInt8] = []
                var ends = 0
                for piece in bytes.chunked([1, 1000, 7]) {
                    let (pieces, invalid) = parser.feed(piece)
                    #expect(invalid == nil)
                    for case .data(let opcode, let bytes, _, let last) in pieces {
                        #expect(opcode == 2)
                        data += bytes
                        if last { ends += 1 }
                    }
                }
                #expect(data == payload && ends == 1, "length \(length) masked \(mask != nil)")
            }
        }
    }

    @Test func fragmentsAndControlFramesAreTold() {
        var parser = WebSocketFrameParser()
        let bytes = WebSocketBytes.frame(1, [UInt8]("he"), fin: false) + WebSocketBytes.frame(9, [1, 2])
            + WebSocketBytes.frame(0, [UInt8]("llo")) + WebSocketBytes.frame(8, [0x03, 0xE8])
        let (pieces, invalid) = parser.feed(bytes)
        #expect(invalid == nil)
        #expect(pieces == [
            .data(opcode: 1, bytes: [UInt8]("he"), first: true, last: false), .control(opcode: 9, payload: [1, 2]),
            .data(opcode: 1, bytes: [UInt8]("llo"), first: false, last: false), .data(opcode: 1, bytes: [], first: false, last: true),
            .control(opcode: 8, payload: [0x03, 0xE8]),
        ])
    }

    @Test func invalidFramingHandsBackEveryByteFromTheBadFrame() {
        for bad: [UInt8] in [[0xC2, 0x01, 0x00], [0x83, 0x00], [0x00, 0x01, 0x41], [0x09, 0x01, 0x00], [0x89, 0x7E, 0x00, 0x80]] {
            var parser = WebSocketFrameParser()
            let good = WebSocketBytes.frame(2, [1, 2, 3])
            let (pieces, invalid) = parser.feed(good + bad + [0xEE])
            #expect(pieces.count == 2)
            #expect(invalid?.remaining == bad + [0xEE], "\(bad)")
        }
    }

    @Test func base64ChannelsAreDecoded() {
        var decoder = WebSocketChannelDecoder(subprotocol: "base64.channel.k8s.io", isPortForward: false, maxMessageBytes: 1000)
        let chunks = decoder.decode(WebSocketBytes.frame(1, [UInt8]("1" + Data("hello".utf8).base64EncodedString())))
        #expect(chunks == [StreamChunk(channel: "stdout", data: [UInt8]("hello"))])
    }

    @Test func gzipDecodesInPiecesAndAcrossMembers() throws {
        let first = [UInt8](String(repeating: "abc", count: 5000))
        let second = [UInt8]("second member")
        let compressed = try gzipped(first) + gzipped(second)
        let inflater = GzipInflater()
        var out: [UInt8] = []
        for piece in compressed.chunked([3, 100]) { try inflater.inflate(piece) { out += $0; return true } }
        #expect(out == first + second)
        let broken = GzipInflater()
        #expect(throws: GzipInflater.Failure.self) {
            try broken.inflate([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3] + [UInt8](repeating: 0xFF, count: 40)) { _ in true }
        }
    }

    @Test func aCutJSONBodyIsReadAsFarAsItGoes() {
        let parsed = JSONPrefixParser.parse([UInt8]("{\"kind\":\"SecretList\",\"items\":[{\"data\":{\"k\":\"c2Vj"))
        #expect(parsed.ending == .cut)
        #expect(parsed.values.first?[path: "items"]?.arrayValue?.first?[path: "data", "k"] == "c2Vj")
        let invalid = JSONPrefixParser.parse([UInt8]("{\"a\":1} nonsense {\"b\":2}"))
        #expect(invalid.values == [["a": 1]])
        if case .invalid = invalid.ending {} else { Issue.record("expected invalid, got \(invalid.ending)") }
        let stream = JSONPrefixParser.parse([UInt8]("{\"a\":1}\n{\"b\":[true,null,-1.5e3]}\n"))
        #expect(stream.ending == .complete && stream.values == [["a": 1], ["b": [true, nil, -1500.0]]])
    }

    @Test func aCutSecretIsRedactedConservatively() {
        let redactor = BodyRedactor(RedactionConfiguration())
        let cut = [UInt8]("{\"kind\":\"SecretList\",\"items\":[{\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"c2VjcmV0LXZhbHVl")
        let out = redactor.redact(cut, contentType: "application/json", aboutSecrets: false, wasCut: true)
        #expect(!out.body.contains(bytes: [UInt8]("c2VjcmV0")))
        let garbled = [UInt8]("{\"kind\":\"Secret\",\"data\":{\"k\":\"djE=\"}}} {\"kind\":\"Secret\",\"data\":{\"k\":\"c2VjcmV0LXZhbHVl\"}}")
        let kept = redactor.redact(garbled, contentType: nil, aboutSecrets: false)
        #expect(!kept.body.contains(bytes: [UInt8]("c2VjcmV0")) && !kept.body.contains(bytes: [UInt8]("djE=")) && kept.cut)
    }
}
