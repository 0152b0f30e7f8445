import CNetfilterQueue
import Kube

/// Steers every connection from this host to a Kubernetes API server into the gateway, and
/// fails closed on every other path.
///
/// The Intercept issue fills this module: rule rendering (iptables-restore text pinned by the
/// golden files under `iptables/`), apply/verify/remove, the original destination of redirected
/// connections, caller attribution, the NFQUEUE guard (through `CNetfilterQueue`) and the tamper watch.
public enum Intercept {
    /// The netfilter queue verdict that drops a packet; the guard gives no other.
    public static let dropVerdict = UInt32(NF_DROP)
}
