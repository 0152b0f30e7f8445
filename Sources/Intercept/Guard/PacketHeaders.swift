/// Reads the 5-tuple of an IP packet as NFQUEUE hands it over: starting at the IPv4 or IPv6 header,
/// possibly cut short by the queue's copy range (128 bytes).
///
/// Invariants:
/// - Pure and total: every read is bounds-checked, so no input crashes it.
/// - `nil` only when not even the addresses can be read (too short, or not IPv4/IPv6). Otherwise the
///   flow has what could be read: the ports are `nil` when the transport header is missing, cut off, or
///   not the first fragment, or when the protocol has no ports (ICMP, ICMPv6, ...).
/// - The destination is the one in the IP header, which is what an iptables `-d` match compares with
///   (for an IPv6 packet with a routing header that is the next hop, not the final destination).
/// - For IPv6 the transport is the first header after the extension headers (hop-by-hop, routing,
///   fragment, destination options, authentication, mobility, HIP, shim6). When the chain is cut off or
///   too long, it is the header that could not be passed, without ports.
public enum PacketHeaders {
    /// IPv6 extension headers are walked at most this deep (a real packet has a handful).
    static let maximumExtensionHeaders = 16

    /// Parses `packet`; see the type's invariants.
    public static func flow(of packet: some Collection<UInt8>) -> Flow? {
        let bytes = Array(packet)
        return bytes.withUnsafeBytes { flow(of: $0) }
    }

    /// Parses `packet` without copying it; see the type's invariants.
    public static func flow(of packet: UnsafeRawBufferPointer) -> Flow? {
        let reader = ByteReader(packet)
        guard let first = reader.byte(at: 0) else { return nil }
        switch first >> 4 {
        case 4: return ipv4Flow(reader)
        case 6: return ipv6Flow(reader)
        default: return nil
        }
    }

    // MARK: IPv4

    private static func ipv4Flow(_ reader: ByteReader) -> Flow? {
        guard let protocolNumber = reader.byte(at: 9),
              let source = reader.address(at: 12, length: 4),
              let destination = reader.address(at: 16, length: 4),
              let versionAndLength = reader.byte(at: 0),
              let fragmentField = reader.uint16(at: 6) else { return nil }
        let transport = TransportProtocol(number: protocolNumber)
        let headerLength = Int(versionAndLength & 0x0F) * 4
        let isFirstFragment = fragmentField & 0x1FFF == 0
        let ports = headerLength >= 20 && isFirstFragment ? Self.ports(transport, reader, at: headerLength) : nil
        return Flow(transport: transport, source: source, sourcePort: ports?.source, destination: destination,
                    destinationPort: ports?.destination)
    }

    // MARK: IPv6

    private static func ipv6Flow(_ reader: ByteReader) -> Flow? {
        guard let firstNext = reader.byte(at: 6),
              let source = reader.address(at: 8, length: 16),
              let destination = reader.address(at: 24, length: 16) else { return nil }
        let (number, offset) = transportHeader(reader, next: firstNext, offset: 40)
        let transport = TransportProtocol(number: number)
        let ports = offset.flatMap { Self.ports(transport, reader, at: $0) }
        return Flow(transport: transport, source: source, sourcePort: ports?.source, destination: destination,
                    destinationPort: ports?.destination)
    }

    /// Follows the extension headers from `next` at `offset`. Returns the first non-extension header
    /// and its offset, or the header that could not be passed and `nil` (cut off, a later fragment,
    /// or too many headers).
    private static func transportHeader(_ reader: ByteReader, next: UInt8, offset: Int) -> (UInt8, Int?) {
        var next = next
        var offset = offset
        for _ in 0..<maximumExtensionHeaders {
            switch next {
            case 0, 43, 60, 135, 139, 140:  // hop-by-hop, routing, destination options, mobility, HIP, shim6
                guard let following = reader.byte(at: offset), let units = reader.byte(at: offset + 1) else {
                    return (next, nil)
                }
                next = following
                offset += (Int(units) + 1) * 8
            case 44:  // fragment: fixed 8 bytes; only the first fragment carries the transport header
                guard let following = reader.byte(at: offset), let field = reader.uint16(at: offset + 2) else {
                    return (next, nil)
                }
                if field & 0xFFF8 != 0 { return (following, nil) }
                next = following
                offset += 8
            case 51:  // authentication header: length in 4-byte units, minus 2
                guard let following = reader.byte(at: offset), let units = reader.byte(at: offset + 1) else {
                    return (next, nil)
                }
                next = following
                offset += (Int(units) + 2) * 4
            default:
                return (next, offset)
            }
        }
        return (next, nil)
    }

    // MARK: Transport

    /// The source and destination ports of a TCP, UDP or SCTP header at `offset`, when all four bytes are there.
    private static func ports(_ transport: TransportProtocol, _ reader: ByteReader,
                              at offset: Int) -> (source: UInt16, destination: UInt16)? {
        switch transport {
        case .tcp, .udp, .sctp:
            guard let source = reader.uint16(at: offset), let destination = reader.uint16(at: offset + 2) else { return nil }
            return (source, destination)
        case .icmp, .icmpv6, .other:
            return nil
        }
    }
}

/// Bounds-checked, big-endian reads from a packet.
private struct ByteReader {
    let buffer: UnsafeRawBufferPointer

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    func byte(at offset: Int) -> UInt8? {
        guard offset >= 0, offset < buffer.count else { return nil }
        return buffer[offset]
    }

    func uint16(at offset: Int) -> UInt16? {
        guard let high = byte(at: offset), let low = byte(at: offset + 1) else { return nil }
        return UInt16(high) << 8 | UInt16(low)
    }

    func address(at offset: Int, length: Int) -> IPAddress? {
        guard offset >= 0, length >= 0, offset <= buffer.count - length else { return nil }
        return IPAddress(bytes: buffer[offset..<offset + length])
    }
}
