import Glibc

/// The bytes of a NETLINK_SOCK_DIAG exchange, built and parsed by hand: Glibc does not export
/// `linux/inet_diag.h` to Swift.
///
/// Layouts (Linux UAPI; integers in host byte order unless marked `be`, network order):
///
///     nlmsghdr (16)             inet_diag_req_v2 (56)            inet_diag_sockid (48)
///      0 u32 nlmsg_len           0 u8  sdiag_family               0 be16 idiag_sport
///      4 u16 nlmsg_type          1 u8  sdiag_protocol             2 be16 idiag_dport
///      6 u16 nlmsg_flags         2 u8  idiag_ext                  4 be32 idiag_src[4]  (IPv4: first word)
///      8 u32 nlmsg_seq           3 u8  pad                       20 be32 idiag_dst[4]
///     12 u32 nlmsg_pid           4 u32 idiag_states              36 u32  idiag_if
///                                8 inet_diag_sockid id           40 u32  idiag_cookie[2]
///
///     inet_diag_msg (72)                                          nlmsgerr (after the nlmsghdr)
///      0 u8 idiag_family  1 u8 idiag_state  2 u8 timer  3 u8 retrans   0 s32 error (-errno; 0 = ack)
///      4 inet_diag_sockid id                                           4 nlmsghdr of the request
///     52 u32 idiag_expires  56 u32 idiag_rqueue  60 u32 idiag_wqueue
///     64 u32 idiag_uid      68 u32 idiag_inode
///
/// Messages in one datagram follow each other at 4-byte aligned offsets (`NLMSG_ALIGN`). After the
/// inet_diag_msg come attributes (`nlattr`: u16 length including its 4-byte header, u16 type, then
/// the value, each at a 4-byte aligned offset). The kernel (5.7 and later, with
/// CONFIG_SOCK_CGROUP_DATA) always adds `INET_DIAG_CGROUP_ID` (21), a u64: the cgroup v2 id of
/// the cgroup the socket was created in. It needs no capability and no request flag.
enum InetDiagWire {
    static let netlinkSockDiag: Int32 = 4       // NETLINK_SOCK_DIAG
    static let sockDiagByFamily: UInt16 = 20    // SOCK_DIAG_BY_FAMILY
    static let messageError: UInt16 = 2         // NLMSG_ERROR
    static let messageDone: UInt16 = 3          // NLMSG_DONE
    static let flagRequest: UInt16 = 1          // NLM_F_REQUEST
    static let headerSize = 16
    static let requestSize = 56
    static let messageSize = 72
    static let allStates: UInt32 = 0xFFFF_FFFF
    static let noCookie: UInt32 = 0xFFFF_FFFF   // INET_DIAG_NOCOOKIE, both words
    static let attributeCgroupID: UInt16 = 21   // INET_DIAG_CGROUP_ID
    static let attributeHeaderSize = 4

    /// The socket id of a request: which ends go in `idiag_src` and `idiag_dst` depends on the protocol
    /// (see ``SocketDiagnostics``).
    struct SocketID: Equatable {
        var source: SocketEndpoint
        var destination: SocketEndpoint
    }

    /// A whole request datagram: nlmsghdr + inet_diag_req_v2 (72 bytes), an exact lookup without
    /// NLM_F_DUMP. `family` is AF_INET or AF_INET6; IPv4 addresses go in the first word.
    static func request(sequence: UInt32, family: Int32, protocolNumber: UInt8, id: SocketID) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerSize + requestSize)
        append(UInt32(headerSize + requestSize), to: &bytes)
        append(sockDiagByFamily, to: &bytes)
        append(flagRequest, to: &bytes)
        append(sequence, to: &bytes)
        append(UInt32(0), to: &bytes)
        bytes += [UInt8(family), protocolNumber, 0, 0]
        append(allStates, to: &bytes)
        append(id.source.port.bigEndian, to: &bytes)
        append(id.destination.port.bigEndian, to: &bytes)
        bytes += padded(id.source.address)
        bytes += padded(id.destination.address)
        append(UInt32(0), to: &bytes)  // idiag_if: any interface
        append(noCookie, to: &bytes)
        append(noCookie, to: &bytes)
        return bytes
    }

    /// One netlink message of a reply.
    enum Message: Equatable {
        /// An inet_diag_msg, with the cgroup id attribute when the kernel sent one.
        case socket(family: Int32, state: UInt8, id: SocketID, uid: UInt32, inode: UInt32, cgroupID: UInt64?)
        /// NLMSG_ERROR: a positive errno, or 0 for an acknowledgement.
        case error(Int32)
        case done
        case other(UInt16)
    }

    /// Splits a reply datagram into (sequence number, message) pairs.
    static func messages(in datagram: UnsafeRawBufferPointer) throws(SocketDiagnosticsError) -> [(UInt32, Message)] {
        var result: [(UInt32, Message)] = []
        var offset = 0
        while offset + headerSize <= datagram.count {
            let length = Int(load(UInt32.self, datagram, offset))
            guard length >= headerSize, offset + length <= datagram.count else {
                throw .malformedReply("message of length \(length) at offset \(offset) in a datagram of \(datagram.count) bytes")
            }
            let type = load(UInt16.self, datagram, offset + 4)
            let sequence = load(UInt32.self, datagram, offset + 8)
            let body = UnsafeRawBufferPointer(rebasing: datagram[(offset + headerSize)..<(offset + length)])
            result.append((sequence, try message(type: type, body: body)))
            offset += (length + 3) & ~3
        }
        return result
    }

    private static func message(type: UInt16, body: UnsafeRawBufferPointer) throws(SocketDiagnosticsError) -> Message {
        switch type {
        case messageError:
            guard body.count >= 4 else { throw .malformedReply("NLMSG_ERROR of \(body.count) bytes") }
            return .error(-load(Int32.self, body, 0))
        case messageDone:
            return .done
        case sockDiagByFamily:
            guard body.count >= messageSize else { throw .malformedReply("inet_diag_msg of \(body.count) bytes") }
            let family = Int32(body[0])
            guard let source = endpoint(body, family: family, addressAt: 8, portAt: 4),
                  let destination = endpoint(body, family: family, addressAt: 24, portAt: 6) else {
                throw .malformedReply("inet_diag_msg of address family \(family)")
            }
            return .socket(family: family, state: body[1], id: SocketID(source: source, destination: destination),
                           uid: load(UInt32.self, body, 64), inode: load(UInt32.self, body, 68),
                           cgroupID: cgroupID(attributesIn: UnsafeRawBufferPointer(rebasing: body[messageSize...])))
        default:
            return .other(type)
        }
    }

    /// The value of the `INET_DIAG_CGROUP_ID` attribute among `attributes`; nil when it is absent.
    /// A malformed attribute ends the search (the message itself is still good).
    static func cgroupID(attributesIn attributes: UnsafeRawBufferPointer) -> UInt64? {
        var offset = 0
        while offset + attributeHeaderSize <= attributes.count {
            let length = Int(load(UInt16.self, attributes, offset))
            let type = load(UInt16.self, attributes, offset + 2) & 0x3FFF  // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
            guard length >= attributeHeaderSize, offset + length <= attributes.count else { return nil }
            if type == attributeCgroupID, length >= attributeHeaderSize + 8 {
                return load(UInt64.self, attributes, offset + attributeHeaderSize)
            }
            offset += (length + 3) & ~3
        }
        return nil
    }

    private static func endpoint(_ body: UnsafeRawBufferPointer, family: Int32, addressAt: Int,
                                 portAt: Int) -> SocketEndpoint? {
        let port = UInt16(bigEndian: load(UInt16.self, body, portAt))
        switch family {
        case AF_INET: return IPAddress(bytes: body[addressAt..<(addressAt + 4)]).map { SocketEndpoint($0, port: port) }
        case AF_INET6: return IPAddress(bytes: body[addressAt..<(addressAt + 16)]).map { SocketEndpoint($0, port: port) }
        default: return nil
        }
    }

    private static func load<T: FixedWidthInteger>(_ type: T.Type, _ buffer: UnsafeRawBufferPointer, _ offset: Int) -> T {
        buffer.loadUnaligned(fromByteOffset: offset, as: T.self)
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value) { bytes += $0 }
    }

    /// An address in a 16-byte `be32[4]` field.
    private static func padded(_ address: IPAddress) -> [UInt8] {
        let bytes = address.bytes
        return bytes + [UInt8](repeating: 0, count: 16 - bytes.count)
    }
}
