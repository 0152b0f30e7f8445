import FuzzSupport
import Kube

/// Label and field selectors (kube's grammar) on any text: a selector or a named error; a parsed
/// selector is matched against a few label sets without crashing.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    withFuzzInput(data, count, fuzz)
}

/// The entry point SwiftPM's debug build links as `main` (see Fuzz/CFuzzerDriver).
@_cdecl("fuzz_selectors_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}

func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: fuzzBytes(data, count), as: UTF8.self)
    if let labels = try? LabelSelector(parsing: text) {
        for set in [[:], ["app": "web"], ["app": "web", "tier": "db", "x": ""]] { _ = labels.matches(set) }
    }
    if let fields = try? FieldSelector(parsing: text) {
        _ = fields.requiresExactMatch("metadata.name")
        _ = fields.matches { $0 == "metadata.name" ? "web-1" : nil }
    }
    return 0
}
