import FuzzSupport
@testable import Store

/// The recorder's WebSocket frame parser and exec/attach channel decoder (v4, v5, port-forward,
/// none) on any byte stream, fed in pieces the first bytes choose.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    withFuzzInput(data, count, fuzz)
}

/// The entry point SwiftPM's debug build links as `main` (see Fuzz/CFuzzerDriver).
@_cdecl("fuzz_websocket_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}

func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    var input = FuzzInput(data, count)
    let mode = input.below(4)
    let sizes = input.chunk(upTo: 4)
    let stream = input.rest()
    var parser = WebSocketFrameParser()
    for piece in pieces(stream, sizes: sizes) {
        if parser.feed(piece).invalid != nil { break }
    }
    let subprotocol: String? = [nil, "v4.channel.k8s.io", "v5.channel.k8s.io", "portforward.k8s.io"][mode]
    var decoder = WebSocketChannelDecoder(subprotocol: subprotocol, isPortForward: mode == 3, maxMessageBytes: 4096)
    for piece in pieces(stream, sizes: sizes) { _ = decoder.decode(piece) }
    _ = decoder.finish()
    return 0
}
