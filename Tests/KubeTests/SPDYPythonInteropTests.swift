import Foundation
import Kube
import Testing

/// The codec against an independent one: Tests/clients/spdy_frames.py, with its own framing code,
/// Python's zlib, and the SPDY/3 dictionary transcribed from spdystream's Go source. It needs only
/// Debian's python3, which scripts/setup.sh installs; without it these tests fail.
struct SPDYPythonInteropTests {
    /// A frame as the script prints it.
    struct PythonFrame: Codable, Equatable {
        var type: String
        var flags: Int = 0
        var stream_id: UInt32?
        var associated: UInt32?
        var priority: UInt8?
        var slot: UInt8?
        var headers: [[String]]?
        var data: String?
        var a: UInt32?
        var b: UInt32?
        var id: UInt32?
        var entries: [[UInt32]]?
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("clients/spdy_frames.py").path

    static func python(_ mode: String, input: String = "") throws -> String {
        let interpreter = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let python = try #require(interpreter, "no python3 in /usr/bin or /usr/local/bin: run scripts/setup.sh")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, mode]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "spdy_frames.py \(mode): \(String(decoding: errors, as: UTF8.self))")
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func bytes(hex: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(try #require(UInt8(hex[index..<next], radix: 16)))
            index = next
        }
        return out
    }

    /// A session's worth of frames in both descriptions; several header blocks in a row, so the
    /// zlib context is carried across frames on both sides.
    static let frames: [(SPDYFrame, PythonFrame)] = [
        (.synStream(SPDYSynStream(streamID: 1, headers: ["streamtype": "error"])),
         PythonFrame(type: "SYN_STREAM", stream_id: 1, associated: 0, priority: 0, slot: 0, headers: [["streamtype", "error"]])),
        (.synStream(SPDYSynStream(streamID: 3, associatedStreamID: 1, priority: 5, slot: 2, fin: true,
                                  headers: SPDYHeaderBlock([.init(name: "streamtype", value: "stdin"), .init(name: "multi", values: ["a", "b"])]))),
         PythonFrame(type: "SYN_STREAM", flags: 1, stream_id: 3, associated: 1, priority: 5, slot: 2,
                     headers: [["streamtype", "stdin"], ["multi", "a\u{0}b"]])),
        (.synReply(streamID: 1, headers: [:]), PythonFrame(type: "SYN_REPLY", stream_id: 1, headers: [])),
        (.headers(streamID: 3, headers: ["streamtype": "stdin", "accept-encoding": "gzip,deflate"], fin: true),
         PythonFrame(type: "HEADERS", flags: 1, stream_id: 3, headers: [["streamtype", "stdin"], ["accept-encoding", "gzip,deflate"]])),
        (.data(streamID: 3, payload: Array("piped input\n".utf8), fin: true),
         PythonFrame(type: "DATA", flags: 1, stream_id: 3, data: hex(Array("piped input\n".utf8)))),
        (.rstStream(streamID: 3, status: .cancel), PythonFrame(type: "RST_STREAM", a: 3, b: 5)),
        (.settings(SPDYSettings(clearSettings: true, entries: [.init(id: 7, flags: 1, value: 65536)])),
         PythonFrame(type: "SETTINGS", flags: 1, entries: [[1, 7, 65536]])),
        (.ping(id: 2), PythonFrame(type: "PING", id: 2)),
        (.windowUpdate(streamID: 0, delta: 4096), PythonFrame(type: "WINDOW_UPDATE", a: 0, b: 4096)),
        (.synReply(streamID: 5, headers: ["streamtype": "stdout"]), PythonFrame(type: "SYN_REPLY", stream_id: 5, headers: [["streamtype", "stdout"]])),
        (.goAway(lastGoodStreamID: 5, status: .ok), PythonFrame(type: "GOAWAY", a: 5, b: 0)),
    ]

    @Test func bothTranscriptionsOfTheDictionaryAgree() throws {
        struct Summary: Decodable { var length: Int; var adler32: UInt32 }
        let summary = try JSONDecoder().decode(Summary.self, from: Data(try Self.python("dictionary").utf8))
        #expect(summary.length == SPDYHeaderDictionary.bytes.count)
        #expect(summary.adler32 == SPDYBytes.dictionaryAdler32)
    }

    @Test func pythonDecodesWhatTheEncoderWrites() throws {
        let encoder = SPDYFrameEncoder()
        var wire: [UInt8] = []
        for (frame, _) in Self.frames { try encoder.encode(frame, into: &wire) }
        let decoded = try JSONDecoder().decode([PythonFrame].self, from: Data(try Self.python("decode", input: Self.hex(wire)).utf8))
        #expect(decoded == Self.frames.map(\.1))
    }

    @Test func theDecoderReadsWhatPythonWrites() throws {
        let request = String(decoding: try JSONEncoder().encode(Self.frames.map(\.1)), as: UTF8.self)
        let wire = try Self.bytes(hex: try Self.python("encode", input: request))
        #expect(try SPDYFrameDecoder().decode(wire) == Self.frames.map(\.0))
    }

    @Test func pythonReadsTheHandBuiltSynStream() throws {
        let decoded = try JSONDecoder().decode([PythonFrame].self,
                                               from: Data(try Self.python("decode", input: Self.hex(SPDYFrameCodecTests.handBuiltSynStream)).utf8))
        #expect(decoded == [PythonFrame(type: "SYN_STREAM", stream_id: 1, associated: 0, priority: 0, slot: 0, headers: [["streamtype", "error"]])])
    }
}
