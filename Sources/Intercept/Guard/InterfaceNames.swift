import Glibc

/// Interface names for the indexes netfilter reports, looked up in the network namespace the
/// guard's queue socket lives in (through a socket opened there), whichever thread asks.
final class InterfaceNames: Sendable {
    /// SIOCGIFNAME from <linux/sockios.h>.
    private static let getNameRequest: UInt = 0x8910
    private let socket: Int32

    /// Opens the lookup socket in the calling thread's network namespace; `nil` (with `errno`) on failure.
    init?() {
        let socket = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { return nil }
        self.socket = socket
    }

    deinit {
        close(socket)
    }

    /// The name of interface `index`; `nil` for index 0 (not set), `if#N` when the interface is gone.
    func name(of index: UInt32) -> String? {
        guard index != 0 else { return nil }
        var request = ifreq()
        request.ifr_ifru.ifru_ivalue = Int32(bitPattern: index)
        guard ioctl(socket, Self.getNameRequest, &request) == 0 else { return "if#\(index)" }
        return withUnsafeBytes(of: request.ifr_ifrn.ifrn_name) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
