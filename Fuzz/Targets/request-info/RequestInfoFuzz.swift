import FuzzSupport
import Kube

/// RequestInfoResolver (and the request target and query parsing under it) on any method and
/// request target: an attribution or a named error, never a crash; and the intent line for it.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    withFuzzInput(data, count, fuzz)
}

/// The entry point SwiftPM's debug build links as `main` (see Fuzz/CFuzzerDriver).
@_cdecl("fuzz_request_info_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}

func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    var input = FuzzInput(data, count)
    let method = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT"][input.below(8)]
    let target = String(decoding: input.rest(), as: UTF8.self)
    let parsed = RequestTarget(target)
    if let info = try? RequestInfoResolver.resolve(method: method, target: parsed) {
        _ = Intent.describe(info, query: parsed.query, objectName: nil)
        _ = info.isLongRunning
    }
    return 0
}
