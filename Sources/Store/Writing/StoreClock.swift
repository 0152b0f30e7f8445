import Foundation
import Kube

/// Wall-clock time as the recording stores it: microseconds since the Unix epoch, UTC.
public enum StoreClock {
    public static func now() -> KubeTime {
        KubeTime(microseconds: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }
}
