import FuzzSupport
import Intercept
import Kube
import Proxy

/// The relay's reading of a gateway's `Portcullis-Agent-Source` header (network bytes from a
/// gateway that may lie), and the gateway's writing of it from a process's command line (bytes an
/// agent controls): a value the relay accepts is one JSON object; what a gateway writes is
/// printable ASCII, valid JSON, and gives back the command line it was made from (cut as documented).
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    withFuzzInput(data, count, fuzz)
}

/// The entry point SwiftPM's debug build links as `main` (see Fuzz/CFuzzerDriver).
@_cdecl("fuzz_reported_source_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}

func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: fuzzBytes(data, count), as: UTF8.self)
    if case .success(let accepted?) = ReportedSource.decode(values: [text]) {
        guard case .object = try? JSONParser.parse(accepted) else {
            require(false, "an accepted reported source is not a JSON object: \(accepted)")
            return 0
        }
    }
    let words = text.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
    let caller = Caller(uid: 1000, process: CallerProcess(pid: 7, executable: text, commandLine: words))
    let value = ReportedSource.encode(caller: caller, connection: ConnectionID(1), request: RequestID(2),
                                      peer: SocketEndpoint(.v4(127, 0, 0, 1), port: 1), destination: SocketEndpoint(.v4(198, 18, 0, 2), port: 6443))
    require(value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }, "not printable ASCII: \(value)")
    guard let parsed = try? JSONParser.parse(value), case .object = parsed else {
        require(false, "the encoded reported source is not a JSON object: \(value)")
        return 0
    }
    let kept = parsed["commandLine"]?.arrayValue?.compactMap(\.stringValue) ?? []
    let cut = words.map { $0.count <= ReportedSource.maximumString ? $0 : String($0.prefix(ReportedSource.maximumString)) }
    require(kept == Array(cut.prefix(kept.count)), "the command line did not come back: \(kept) from \(cut)")
    require(kept.count == cut.count || kept.reduce(0, { $0 + $1.count }) + cut[kept.count].count > ReportedSource.maximumCommandLine,
            "a command line was cut before its limit")
    require(case: ReportedSource.decode(values: [value]), "the relay refuses what a gateway writes: \(value)")
    return 0
}

/// A decode that succeeded with a value.
private func require(case result: Result<String?, ReportedSource.Problem>, _ message: @autoclosure () -> String) {
    if case .success(let value?) = result, !value.isEmpty { return }
    require(false, message())
}
