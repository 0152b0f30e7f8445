import FuzzSupport
import Kube
@testable import Store

/// The SPDY/3.1 frame decoder and its zlib header inflater on any byte stream, fed in pieces the
/// first bytes choose; then the recorder's channel decoder on the same bytes, as either direction.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    withFuzzInput(data, count, fuzz)
}

/// The entry point SwiftPM's debug build links as `main` (see Fuzz/CFuzzerDriver).
@_cdecl("fuzz_spdy_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}

func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    var input = FuzzInput(data, count)
    let sizes = input.chunk(upTo: 4)
    let stream = input.rest()
    let decoder = SPDYFrameDecoder(limits: .init(maxFrameLength: 1 << 20, maxHeaderBlockLength: 64 * 1024))
    for piece in pieces(stream, sizes: sizes) {
        guard (try? decoder.decode(piece)) != nil else { break }
    }
    let channels = SPDYChannelDecoder()
    for (index, piece) in pieces(stream, sizes: sizes).enumerated() {
        _ = channels.decode(piece, direction: index % 2 == 0 ? .clientToUpstream : .upstreamToClient)
    }
    return 0
}
