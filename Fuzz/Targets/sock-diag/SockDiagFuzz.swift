import FuzzSupport
@testable import Intercept

/// The sock_diag (NETLINK_SOCK_DIAG) reply decoder on any datagram: messages or a named error,
/// never a crash or a read past the datagram.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    withFuzzInput(data, count, fuzz)
}

/// The entry point SwiftPM's debug build links as `main` (see Fuzz/CFuzzerDriver).
@_cdecl("fuzz_sock_diag_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}

func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    // A copy in its own allocation, so ASan sees any read past the datagram's end.
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
    defer { copy.deallocate() }
    if count > 0 { copy.copyMemory(from: UnsafeRawBufferPointer(start: data, count: count)) }
    _ = try? InetDiagWire.messages(in: UnsafeRawBufferPointer(copy))
    return 0
}
