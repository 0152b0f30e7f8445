import Kube
import Testing

struct ChannelFramingTests {
    static let dataMessages: [(ChannelMessage, [UInt8])] = [
        (.data(.stdin, Array("echo hello\r".utf8)), [0] + Array("echo hello\r".utf8)),
        (.data(.stdout, [0x68, 0x69, 0x0A]), [1, 0x68, 0x69, 0x0A]),
        (.data(.stderr, Array("oops".utf8)), [2] + Array("oops".utf8)),
        (.data(.error, Array(#"{"metadata":{},"status":"Success"}"#.utf8)), [3] + Array(#"{"metadata":{},"status":"Success"}"#.utf8)),
        (.data(.resize, Array(#"{"Width":80,"Height":24}"#.utf8)), [4] + Array(#"{"Width":80,"Height":24}"#.utf8)),
        (.data(.stdout, []), [1]),
    ]

    @Test(arguments: dataMessages)
    func dataMessagesRoundTrip(_ message: ChannelMessage, _ bytes: [UInt8]) throws {
        #expect(message.encoded() == bytes)
        for proto in ChannelProtocol.allCases {
            #expect(try ChannelMessage(decoding: bytes, protocol: proto) == message)
        }
    }

    @Test func v5CloseOfStdin() throws {
        #expect(ChannelMessage.close(.stdin).encoded() == [255, 0])
        #expect(try ChannelMessage(decoding: [255, 0], protocol: .v5) == .close(.stdin))
        #expect(try ChannelMessage(decoding: [255, 4][...], protocol: .v5) == .close(.resize))
    }

    @Test func closeIsRejectedUnderV4() throws {
        let error = try #require(throws: ChannelFramingError.self) { try ChannelMessage(decoding: [255, 0], protocol: .v4) }
        #expect(error == .closeNotSupported(.v4))
        #expect(error.description == "channel close (255) is not part of v4.channel.k8s.io")
    }

    @Test(arguments: [
        ([] as [UInt8], ChannelFramingError.emptyMessage, "empty channel message: the first byte must be the channel number"),
        ([5, 1], .unknownChannel(5), "unknown stream channel 5"),
        ([254], .unknownChannel(254), "unknown stream channel 254"),
        ([255], .malformedClose([]), "malformed close message: payload [] must be one channel number"),
        ([255, 0, 1], .malformedClose([0, 1]), "malformed close message: payload [0, 1] must be one channel number"),
        ([255, 9], .malformedClose([9]), "malformed close message: payload [9] must be one channel number"),
        ([255, 255], .malformedClose([255]), "malformed close message: payload [255] must be one channel number"),
    ])
    func framingErrors(_ bytes: [UInt8], _ expected: ChannelFramingError, _ description: String) throws {
        let error = try #require(throws: ChannelFramingError.self) { try ChannelMessage(decoding: bytes, protocol: .v5) }
        #expect(error == expected)
        #expect(error.description == description)
    }

    @Test(arguments: [
        (["v5.channel.k8s.io"], ChannelProtocol.v5),
        (["v4.channel.k8s.io, v5.channel.k8s.io"], .v4),
        (["base64.channel.k8s.io", " v5.channel.k8s.io\t"], .v5),
        (["SPDY/3.1+portforward.k8s.io,v4.channel.k8s.io"], .v4),
        (["channel.k8s.io", "v3.channel.k8s.io"], nil),
        (["V5.CHANNEL.K8S.IO"], nil),
        ([], nil),
    ] as [([String], ChannelProtocol?)])
    func negotiation(_ offers: [String], _ chosen: ChannelProtocol?) {
        #expect(ChannelProtocol.negotiate(offers) == chosen)
    }

    @Test func protocolNamesAndClose() {
        #expect(ChannelProtocol.v5.rawValue == "v5.channel.k8s.io")
        #expect(ChannelProtocol.v4.rawValue == "v4.channel.k8s.io")
        #expect(ChannelProtocol.v5.supportsClose)
        #expect(!ChannelProtocol.v4.supportsClose)
    }

    @Test func successStatusBytes() {
        #expect(String(decoding: ExecResult.success.statusBytes(), as: UTF8.self) == #"{"metadata":{},"status":"Success"}"#)
    }

    @Test func nonZeroExitStatusBytes() {
        let bytes = ExecResult.exitCode(3, command: ["sh", "-c", "exit 3"]).statusBytes()
        #expect(String(decoding: bytes, as: UTF8.self) ==
            #"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}"#)
    }

    @Test func failureStatusBytes() {
        #expect(String(decoding: ExecResult.failure(message: "container not found (\"main\")").statusBytes(), as: UTF8.self) ==
            #"{"metadata":{},"status":"Failure","message":"container not found (\"main\")","reason":"InternalError"}"#)
    }

    @Test(arguments: [
        (#"{"metadata":{},"status":"Success"}"#, 0 as Int?),
        (#"{"metadata":{},"status":"Failure","message":"m","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"1"}]}}"#, 1),
        (#"{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"Other","message":"9"},{"reason":"ExitCode","message":"137"}]}}"#, 137),
        (#"{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"x"}]}}"#, nil),
        (#"{"status":"Failure","reason":"NonZeroExitCode"}"#, nil),
        (#"{"status":"Failure","reason":"InternalError","message":"boom"}"#, nil),
    ])
    func exitCodeFromStatus(_ json: String, _ code: Int?) throws {
        #expect(ExecResult.exitCode(from: try Status(json: try JSONParser.parse(json))) == code)
    }

    @Test(arguments: [ExecResult.success, .exitCode(2, command: ["false"]), .exitCode(255, command: [])])
    func exitCodeRoundTrips(_ result: ExecResult) throws {
        let expected: Int? = switch result {
        case .success: 0
        case .exitCode(let code, _): code
        case .failure: nil
        }
        #expect(ExecResult.exitCode(from: try Status(json: try JSONParser.parse(result.statusBytes()))) == expected)
    }

    @Test func terminalSizeJSON() {
        #expect(String(decoding: TerminalSize(width: 80, height: 24).jsonBytes(), as: UTF8.self) == #"{"Width":80,"Height":24}"#)
        #expect(TerminalSize(json: Array(#"{"Width":0,"Height":0}"#.utf8)) == TerminalSize(width: 0, height: 0))
        #expect(TerminalSize(json: Array("{\"Height\":50,\"Width\":132}\n".utf8)) == TerminalSize(width: 132, height: 50))
        #expect(TerminalSize(json: Array(#"{"Width":65535,"Height":1}"#.utf8)) == TerminalSize(width: 65535, height: 1))
    }

    /// Go's json.Decoder into `TerminalSize{Width, Height uint16}`.
    @Test(arguments: [
        (#"{"width":80,"HEIGHT":24}"#, TerminalSize(width: 80, height: 24)),
        (#"{"Width":80}"#, TerminalSize(width: 80, height: 0)),
        (#"{"Width":80,"Height":null,"Extra":"x"}"#, TerminalSize(width: 80, height: 0)),
        ("{}", TerminalSize(width: 0, height: 0)),
    ])
    func terminalSizeDecodesLikeGo(_ json: String, _ size: TerminalSize) {
        #expect(TerminalSize(json: Array(json.utf8)) == size)
    }

    @Test(arguments: [#"{"Width":-1,"Height":24}"#, #"{"Width":65536,"Height":24}"#, #"{"Width":80.0,"Height":24}"#,
                      #"{"Width":"80","Height":24}"#, #"{"Width":true}"#, "[80,24]", "80x24", ""])
    func terminalSizeRejectsBadJSON(_ json: String) {
        #expect(TerminalSize(json: Array(json.utf8)) == nil)
    }
}
