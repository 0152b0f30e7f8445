import Foundation
import Kube

/// Wall-clock time as Kubernetes timestamps.
public enum SandboxClock {
    public static func now() -> KubeTime {
        KubeTime(microseconds: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }
}
