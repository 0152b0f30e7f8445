import FuzzSupport
import Kube
@testable import Store

/// The JSON prefix parser and SecretRedactor, two ways:
/// - any bytes, as a request body or a watch stream: no crash;
/// - **the redactor property**: a body built from the input that holds Secrets
///   (``SecretJSONBuilder``), cut at a point the input chooses, recorded as a request body or as a
///   watch stream (split into events as the recorder does): the stored bytes never contain a
///   value's marker, its decoded bytes or its bytes as written.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    withFuzzInput(data, count, fuzz)
}

/// The entry point SwiftPM's debug build links as `main` (see Fuzz/CFuzzerDriver).
@_cdecl("fuzz_json_redactor_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}

func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    var input = FuzzInput(data, count)
    let redactor = BodyRedactor(RedactionConfiguration())
    if input.below(4) == 0 {
        let bytes = input.rest()
        _ = JSONPrefixParser.parse(bytes)
        _ = redactor.redact(bytes, contentType: "application/json", aboutSecrets: bytes.first.map { $0 & 1 == 1 } ?? false)
        _ = stored(bytes, redactor: redactor, asWatch: true, aboutSecrets: false, wasCut: false, sizes: [7, 64])
        return 0
    }
    let asWatch = input.bool(), aboutSecrets = input.bool(), topLevel = input.bool()
    let cutChoice = input.byte(), sizes = input.chunk(upTo: 3)
    let contentType: String? = ["application/json", nil, "application/merge-patch+json", "application/json;charset=utf-8"][input.below(4)]
    var builder = SecretJSONBuilder(FuzzInput(bytes: input.rest()))
    var body: [UInt8] = []
    for index in 0..<(1 + builder.input.below(3)) {
        if index > 0 { body += [0x0A] }
        body += builder.document(depth: 3)
    }
    let cut = cutChoice < 128 ? body.count : body.count * Int(cutChoice - 128) / 128
    let given = Array(body.prefix(cut))
    let output: [UInt8]
    if asWatch {
        output = stored(given, redactor: redactor, asWatch: true, aboutSecrets: aboutSecrets, wasCut: cut < body.count, sizes: sizes)
    } else {
        output = redactor.redact(given, contentType: contentType, aboutSecrets: aboutSecrets, topLevelIsSecret: topLevel && aboutSecrets,
                                 wasCut: cut < body.count).body
    }
    let shown = String(decoding: given, as: UTF8.self)
    let kept = String(decoding: output, as: UTF8.self)
    for marker in builder.markers {
        require(!contains(output, marker), "a Secret value is stored: \(String(decoding: marker, as: UTF8.self)) in \(kept) from \(shown)")
    }
    for value in builder.values where cut == body.count {
        require(!contains(output, value.decoded) && !contains(output, value.written), "a Secret value is stored: \(kept) from \(shown)")
    }
    return 0
}

/// What the recorder stores for `bytes`: one redacted body, or, for a watch, the events the
/// splitter finds (fed in pieces), each redacted as ResponseRecording does.
func stored(_ bytes: [UInt8], redactor: BodyRedactor, asWatch: Bool, aboutSecrets: Bool, wasCut: Bool, sizes: [UInt8]) -> [UInt8] {
    guard asWatch else { return redactor.redact(bytes, contentType: "application/json", aboutSecrets: aboutSecrets, wasCut: wasCut).body }
    var splitter = JSONEventSplitter(maxEventBytes: 1 << 16)
    var pieces: [JSONEventSplitter.Piece] = []
    for piece in FuzzSupport.pieces(bytes, sizes: sizes) { pieces += splitter.feed(piece) }
    pieces += splitter.finish()
    var out: [UInt8] = []
    for piece in pieces {
        switch piece {
        case .event(let event): out += redactor.redact(event, contentType: "application/json", aboutSecrets: aboutSecrets).body + [0x0A]
        case .cut(let event): out += redactor.redact(event, contentType: "application/json", aboutSecrets: aboutSecrets, wasCut: true).body + [0x0A]
        }
    }
    return out
}
