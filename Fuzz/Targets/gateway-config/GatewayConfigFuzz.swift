import FuzzSupport
@testable import PortcullisCLI

/// The gateway configuration loader (YAML, read strictly) on any text: a configuration or an error
/// naming the file, line and field; never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    withFuzzInput(data, count, fuzz)
}

/// The entry point SwiftPM's debug build links as `main` (see Fuzz/CFuzzerDriver).
@_cdecl("fuzz_gateway_config_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}

func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: fuzzBytes(data, count), as: UTF8.self)
    do {
        _ = try GatewayConfiguration.parse(text, file: "fuzz.yaml")
    } catch {
        _ = error.description
    }
    return 0
}
