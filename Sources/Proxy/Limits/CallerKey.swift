import Intercept

/// Whom the per-caller connection cap counts a connection against: a local caller by its uid; a
/// caller behind a bridge, or a local one whose uid could not be found, by its source address.
enum CallerKey: Hashable, Sendable, CustomStringConvertible {
    case uid(UInt32)
    case source(IPAddress)

    init(_ caller: Caller, peer: IPAddress) {
        if caller.interface == nil, let uid = caller.uid {
            self = .uid(uid)
        } else {
            let address = caller.sourceAddress ?? peer
            self = .source(address.unmappedIPv4 ?? address)
        }
    }

    var description: String {
        switch self {
        case .uid(let uid): "uid \(uid)"
        case .source(let address): "source \(address)"
        }
    }
}
