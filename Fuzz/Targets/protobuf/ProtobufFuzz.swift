import Foundation
import FuzzSupport
@testable import Kube
@testable import Store

/// Protobuf bodies, two ways:
/// - any bytes, as a body and as a watch frame: the envelope, every known kind, the watch event,
///   the recorder's redaction and the JSON rendering; no crash;
/// - **the redactor property** for protobuf: a Secret or SecretList built from the input (values
///   starting with a marker `VAL<n>Z`, other fields from the input), maybe in a watch event, maybe
///   cut, recorded about Secrets or not: the stored bytes never contain a value's marker or bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    withFuzzInput(data, count, fuzz)
}

/// The entry point SwiftPM's debug build links as `main` (see Fuzz/CFuzzerDriver).
@_cdecl("fuzz_protobuf_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}

func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    var input = FuzzInput(data, count)
    if input.below(3) == 0 {
        let bytes = input.rest()
        _ = try? ProtobufObject.json(decoding: bytes)
        _ = try? ProtobufWatchEvent(decoding: bytes).json()
        _ = KubeBody.json(bytes)
        _ = ProtobufBodyRedactor.redact(bytes, aboutSecrets: bytes.count % 2 == 0, wasCut: false)
        _ = ProtobufBodyRedactor.redactFrame(bytes, aboutSecrets: bytes.count % 3 == 0)
        _ = ProtobufBodyRedactor.redact(ProtobufEnvelope.magic + bytes, aboutSecrets: false, wasCut: false)
        return 0
    }
    let asList = input.bool(), asWatch = input.bool(), aboutSecrets = input.bool(), cutChoice = input.byte()
    var markers: [[UInt8]] = []
    var values: [[UInt8]] = []
    func secret() -> CoreV1Secret {
        var secret = CoreV1Secret()
        secret.metadata.name = ["db", "api", ""][input.below(3)]
        secret.metadata.labels = input.bool() ? ["app": "web"] : [:]
        if input.bool() { secret.type = "Opaque" }
        for _ in 0..<input.below(3) {
            let marker = Array("VAL\(values.count)Z".utf8)
            let value = marker + input.chunk(upTo: 16)
            markers.append(marker)
            values.append(value)
            secret.data["k\(values.count)"] = Data(value)
        }
        for _ in 0..<input.below(3) {
            let marker = "VAL\(values.count)Z"
            let text = marker + String(decoding: input.chunk(upTo: 16), as: UTF8.self)
            markers.append(Array(marker.utf8))
            values.append(Array(text.utf8))
            secret.stringData["s\(values.count)"] = text
        }
        if input.below(4) == 0 {
            // kubectl's last-applied copy of the Secret, as JSON.
            let copy = values.last.map { String(decoding: $0, as: UTF8.self) } ?? ""
            secret.metadata.annotations[ProtobufSecrets.lastAppliedAnnotation] =
                #"{"kind":"Secret","apiVersion":"v1","stringData":{"copy":"\#(copy.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))"}}"#
        }
        return secret
    }
    let envelope: ProtobufEnvelope
    if asList {
        var list = CoreV1SecretList()
        for _ in 0..<(1 + input.below(3)) { list.items.append(secret()) }
        envelope = ProtobufEnvelope(apiVersion: "v1", kind: "SecretList", raw: Array(ProtobufSecrets.serialized(list)))
    } else {
        var raw = Array(ProtobufSecrets.serialized(secret()))
        if input.bool() {
            // A field no Kubernetes version declares (126), holding a value: dropped, never stored.
            let marker = Array("VAL\(values.count)Z".utf8)
            markers.append(marker)
            values.append(marker)
            raw += [0xF2, 0x07, UInt8(marker.count)] + marker
        }
        envelope = ProtobufEnvelope(apiVersion: "v1", kind: "Secret", raw: raw)
    }
    let body = envelope.encoded()
    let output: [UInt8]
    if asWatch {
        let frame = ProtobufBodyRedactor.withLength(ProtobufWatchEvent(type: "ADDED", object: body).encoded())
        let cut = cutChoice < 128 ? frame.count : frame.count * Int(cutChoice - 128) / 128
        output = ProtobufBodyRedactor.redactFrame(Array(frame.prefix(cut)), aboutSecrets: aboutSecrets)
    } else {
        let cut = cutChoice < 128 ? body.count : body.count * Int(cutChoice - 128) / 128
        output = ProtobufBodyRedactor.redact(Array(body.prefix(cut)), aboutSecrets: aboutSecrets, wasCut: cut < body.count)
    }
    for marker in markers {
        require(!contains(output, marker), "a Secret value is stored: \(String(decoding: marker, as: UTF8.self)) in \(output)")
    }
    for value in values where value.count > 5 {
        require(!contains(output, value), "a Secret value is stored: \(value) in \(output)")
    }
    return 0
}
