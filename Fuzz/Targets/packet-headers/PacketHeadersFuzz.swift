import FuzzSupport
import Intercept

/// The guard's packet header parser (IPv4, IPv6, extension headers, truncated packets) on any
/// bytes: it must not crash, and its two entry points (raw buffer, byte collection) must agree.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    withFuzzInput(data, count, fuzz)
}

/// The entry point SwiftPM's debug build links as `main` (see Fuzz/CFuzzerDriver).
@_cdecl("fuzz_packet_headers_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}

func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    let buffer = UnsafeRawBufferPointer(start: data, count: count)
    let fromBuffer = PacketHeaders.flow(of: buffer)
    let fromBytes = PacketHeaders.flow(of: fuzzBytes(data, count))
    require(fromBuffer == fromBytes, "flow(of:) disagrees: \(String(describing: fromBuffer)) vs \(String(describing: fromBytes))")
    return 0
}
