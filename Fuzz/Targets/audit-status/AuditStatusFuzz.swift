import FuzzSupport
import Kube

/// The audit Event and Status codecs, round trip: whatever JSON decodes as an Event (or a Status)
/// is encoded, and the encoding decodes to the same value and encodes to the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    withFuzzInput(data, count, fuzz)
}

/// The entry point SwiftPM's debug build links as `main` (see Fuzz/CFuzzerDriver).
@_cdecl("fuzz_audit_status_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}

func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    guard let json = try? JSONParser.parse(fuzzBytes(data, count)) else { return 0 }
    if let event = try? AuditEvent(json: json) {
        let encoded = event.jsonBytes()
        let again: AuditEvent
        do {
            again = try AuditEvent(jsonLine: encoded)
        } catch {
            require(false, "an encoded Event does not decode: \(error): \(String(decoding: encoded, as: UTF8.self))")
            return 0
        }
        require(again.jsonBytes() == encoded, "Event encoding is not stable: \(String(decoding: encoded, as: UTF8.self))")
    }
    if let status = try? Status(json: json) {
        let encoded = status.jsonBytes()
        guard let reparsed = try? JSONParser.parse(encoded), let again = try? Status(json: reparsed) else {
            require(false, "an encoded Status does not decode: \(String(decoding: encoded, as: UTF8.self))")
            return 0
        }
        require(again == status, "Status round trip changed it: \(String(decoding: encoded, as: UTF8.self))")
    }
    return 0
}
