import Foundation

/// Request bodies real kubectl sent (captured from kubectl 1.32.5 and 1.33 against a recording
/// server; the two versions send the same bytes): `create secret generic db-pass
/// --from-literal=password=hunter2-s3cr3t -n demo`, `create configmap settings
/// --from-literal=mode=fast --from-literal=level=3 -n demo`, `create namespace team-a`, `create
/// deployment web --image=nginx:1.27 --replicas=2 -n demo`. The same files seed the fuzzers
/// (Fuzz/Corpus/protobuf).
public enum KubectlProtobufBodies {
    public static let createSecret: [UInt8] = decode("azhzAAoMCgJ2MRIGU2VjcmV0EjsKGwoHZGItcGFzcxIAGgRkZW1vIgAqADIAOABCABIaCghwYXNzd29yZBIOaHVudGVyMi1zM2NyM3QaABoAIgA=")
    public static let createConfigMap: [UInt8] = decode("azhzAAoPCgJ2MRIJQ29uZmlnTWFwEjgKHAoIc2V0dGluZ3MSABoEZGVtbyIAKgAyADgAQgASCgoFbGV2ZWwSATMSDAoEbW9kZRIEZmFzdBoAIgA=")
    public static let createNamespace: [UInt8] = decode("azhzAAoPCgJ2MRIJTmFtZXNwYWNlEh4KFgoGdGVhbS1hEgAaACIAKgAyADgAQgASABoCCgAaACIA")
    public static let createDeployment: [UInt8] = decode("azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50ErQBCiMKA3dlYhIAGgRkZW1vIgAqADIAOABCAFoKCgNhcHASA3dlYhJ/CAISDAoKCgNhcHASA3dlYhplChwKABIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViEkUSJwoFbmdpbngSCm5naW54OjEuMjcqAEIAagByAIABAIgBAJABAKIBABoAMgBCAEoAUgBYAGAAaACCAQCKAQCaAQDCAQAiAgoAKAA4ABoMCAAQABgAIAAoADgAGgAiAA==")

    static func decode(_ base64: String) -> [UInt8] { Array(Data(base64Encoded: base64) ?? Data()) }
}
