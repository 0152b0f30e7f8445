import Testing

@testable import Intercept

/// Hand-built packets, as NFQUEUE hands them over (starting at the IP header).
enum PacketBuilder {
    static func v4(_ text: String) -> IPAddress { IPAddress(text)! }

    /// An IPv4 header (with `optionWords` 4-byte words of NOP options) followed by `payload`.
    static func ipv4(protocol number: UInt8, source: String, destination: String, payload: [UInt8],
                     optionWords: Int = 0, fragmentOffset: UInt16 = 0, moreFragments: Bool = false) -> [UInt8] {
        let headerLength = 20 + optionWords * 4
        let total = UInt16(headerLength + payload.count)
        let flags: UInt16 = (moreFragments ? 0x2000 : 0) | (fragmentOffset & 0x1FFF)
        var header: [UInt8] = [0x40 | UInt8(headerLength / 4), 0, UInt8(total >> 8), UInt8(total & 0xFF),
                               0x12, 0x34, UInt8(flags >> 8), UInt8(flags & 0xFF), 64, number, 0, 0]
        header += IPAddress(source)!.bytes + IPAddress(destination)!.bytes
        header += [UInt8](repeating: 1, count: optionWords * 4)
        return header + payload
    }

    /// An IPv6 header whose next header is `next`, followed by `payload` (extension headers included).
    static func ipv6(next: UInt8, source: String, destination: String, payload: [UInt8]) -> [UInt8] {
        let length = UInt16(payload.count)
        var header: [UInt8] = [0x60, 0, 0, 0, UInt8(length >> 8), UInt8(length & 0xFF), next, 64]
        header += IPAddress(source)!.bytes + IPAddress(destination)!.bytes
        return header + payload
    }

    /// A generic extension header (hop-by-hop, routing, destination options): `units` 8-byte units after the first.
    static func extensionHeader(next: UInt8, units: UInt8 = 0) -> [UInt8] {
        [next, units] + [UInt8](repeating: 0, count: 6 + Int(units) * 8)
    }

    static func fragmentHeader(next: UInt8, offset: UInt16, more: Bool) -> [UInt8] {
        let field = offset << 3 | (more ? 1 : 0)
        return [next, 0, UInt8(field >> 8), UInt8(field & 0xFF), 0xDE, 0xAD, 0xBE, 0xEF]
    }

    /// An authentication header: length in 4-byte units minus 2 (`words` = 4 gives 24 bytes).
    static func authenticationHeader(next: UInt8, words: UInt8 = 4) -> [UInt8] {
        [next, words] + [UInt8](repeating: 0, count: (Int(words) + 2) * 4 - 2)
    }

    static func ports(_ source: UInt16, _ destination: UInt16) -> [UInt8] {
        [UInt8(source >> 8), UInt8(source & 0xFF), UInt8(destination >> 8), UInt8(destination & 0xFF)]
    }

    static func tcpSYN(_ source: UInt16, _ destination: UInt16) -> [UInt8] {
        ports(source, destination) + [0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xFF, 0xFF, 0, 0, 0, 0]
    }

    static func udp(_ source: UInt16, _ destination: UInt16, body: [UInt8] = [0x41]) -> [UInt8] {
        let length = UInt16(8 + body.count)
        return ports(source, destination) + [UInt8(length >> 8), UInt8(length & 0xFF), 0, 0] + body
    }

    static func sctp(_ source: UInt16, _ destination: UInt16) -> [UInt8] {
        ports(source, destination) + [0, 0, 0, 0, 0, 0, 0, 0]
    }

    static let icmpEcho: [UInt8] = [8, 0, 0xF7, 0xFF, 0, 1, 0, 1]
    static let icmpv6Echo: [UInt8] = [128, 0, 0, 0, 0, 1, 0, 1]
}

@Suite struct PacketHeadersTests {
    typealias B = PacketBuilder

    func flow(_ transport: TransportProtocol, _ source: String, _ sourcePort: UInt16?, _ destination: String,
              _ destinationPort: UInt16?) -> Flow {
        Flow(transport: transport, source: IPAddress(source)!, sourcePort: sourcePort,
             destination: IPAddress(destination)!, destinationPort: destinationPort)
    }

    // MARK: IPv4

    @Test func ipv4TCPAndUDPAndSCTP() {
        let tcp = B.ipv4(protocol: 6, source: "198.18.0.1", destination: "198.18.0.2", payload: B.tcpSYN(40001, 6443))
        #expect(PacketHeaders.flow(of: tcp) == flow(.tcp, "198.18.0.1", 40001, "198.18.0.2", 6443))
        let udp = B.ipv4(protocol: 17, source: "10.1.2.3", destination: "10.96.0.1", payload: B.udp(53000, 443))
        #expect(PacketHeaders.flow(of: udp) == flow(.udp, "10.1.2.3", 53000, "10.96.0.1", 443))
        let sctp = B.ipv4(protocol: 132, source: "10.1.2.3", destination: "10.96.0.1", payload: B.sctp(5000, 6443))
        #expect(PacketHeaders.flow(of: sctp) == flow(.sctp, "10.1.2.3", 5000, "10.96.0.1", 6443))
    }

    @Test func ipv4OptionsMoveTheTransportHeader() {
        let packet = B.ipv4(protocol: 6, source: "198.18.0.1", destination: "198.18.0.2", payload: B.tcpSYN(1, 2),
                            optionWords: 3)
        #expect(PacketHeaders.flow(of: packet) == flow(.tcp, "198.18.0.1", 1, "198.18.0.2", 2))
    }

    @Test func icmpHasNoPorts() {
        let packet = B.ipv4(protocol: 1, source: "198.18.0.1", destination: "198.18.0.2", payload: B.icmpEcho)
        #expect(PacketHeaders.flow(of: packet) == flow(.icmp, "198.18.0.1", nil, "198.18.0.2", nil))
    }

    @Test func otherProtocolsKeepTheirNumberWithoutPorts() {
        let gre = B.ipv4(protocol: 47, source: "198.18.0.1", destination: "198.18.0.2", payload: [0, 0, 8, 0])
        #expect(PacketHeaders.flow(of: gre) == flow(.other(47), "198.18.0.1", nil, "198.18.0.2", nil))
    }

    @Test func ipv4FragmentsCarryPortsOnlyInTheFirst() {
        let first = B.ipv4(protocol: 17, source: "198.18.0.1", destination: "198.18.0.2", payload: B.udp(7, 6443),
                           moreFragments: true)
        #expect(PacketHeaders.flow(of: first)?.destinationPort == 6443)
        // A later fragment starts with payload bytes, which must not be read as ports.
        let later = B.ipv4(protocol: 17, source: "198.18.0.1", destination: "198.18.0.2", payload: B.udp(7, 6443),
                           fragmentOffset: 185)
        #expect(PacketHeaders.flow(of: later) == flow(.udp, "198.18.0.1", nil, "198.18.0.2", nil))
    }

    @Test func ipv4WithAnInvalidHeaderLengthKeepsTheAddresses() {
        var packet = B.ipv4(protocol: 6, source: "198.18.0.1", destination: "198.18.0.2", payload: B.tcpSYN(1, 2))
        packet[0] = 0x43  // IHL 3 words: less than the 20-byte minimum
        #expect(PacketHeaders.flow(of: packet) == flow(.tcp, "198.18.0.1", nil, "198.18.0.2", nil))
    }

    // MARK: IPv6

    @Test func ipv6TCPUDPAndICMPv6() {
        let tcp = B.ipv6(next: 6, source: "fd00:5043::1", destination: "fd00:5043::2", payload: B.tcpSYN(40002, 6443))
        #expect(PacketHeaders.flow(of: tcp) == flow(.tcp, "fd00:5043::1", 40002, "fd00:5043::2", 6443))
        let udp = B.ipv6(next: 17, source: "fd00:5043::1", destination: "fd00:5043::2", payload: B.udp(1234, 443))
        #expect(PacketHeaders.flow(of: udp) == flow(.udp, "fd00:5043::1", 1234, "fd00:5043::2", 443))
        let icmp = B.ipv6(next: 58, source: "fd00:5043::1", destination: "fd00:5043::2", payload: B.icmpv6Echo)
        #expect(PacketHeaders.flow(of: icmp) == flow(.icmpv6, "fd00:5043::1", nil, "fd00:5043::2", nil))
    }

    @Test func ipv6ExtensionHeadersAreWalkedToTheTransport() {
        // hop-by-hop -> routing (2 extra units) -> fragment (first, more follow) -> destination options -> TCP
        let chain = B.extensionHeader(next: 43) + B.extensionHeader(next: 44, units: 2)
            + B.fragmentHeader(next: 60, offset: 0, more: true) + B.extensionHeader(next: 6, units: 1) + B.tcpSYN(5555, 6443)
        let packet = B.ipv6(next: 0, source: "fd00:5043::1", destination: "fd00:5043::2", payload: chain)
        #expect(PacketHeaders.flow(of: packet) == flow(.tcp, "fd00:5043::1", 5555, "fd00:5043::2", 6443))
    }

    @Test func ipv6AuthenticationHeaderIsWalked() {
        let packet = B.ipv6(next: 51, source: "fd00::1", destination: "fd00::2",
                            payload: B.authenticationHeader(next: 17) + B.udp(9, 6443))
        #expect(PacketHeaders.flow(of: packet) == flow(.udp, "fd00::1", 9, "fd00::2", 6443))
    }

    @Test func ipv6LaterFragmentHasNoPorts() {
        let packet = B.ipv6(next: 44, source: "fd00::1", destination: "fd00::2",
                            payload: B.fragmentHeader(next: 17, offset: 181, more: false) + B.udp(9, 6443))
        #expect(PacketHeaders.flow(of: packet) == flow(.udp, "fd00::1", nil, "fd00::2", nil))
    }

    @Test func ipv6NoNextHeaderAndESPStopTheWalk() {
        let none = B.ipv6(next: 60, source: "fd00::1", destination: "fd00::2", payload: B.extensionHeader(next: 59))
        #expect(PacketHeaders.flow(of: none) == flow(.other(59), "fd00::1", nil, "fd00::2", nil))
        let esp = B.ipv6(next: 50, source: "fd00::1", destination: "fd00::2", payload: [0, 0, 1, 0, 0, 0, 0, 1])
        #expect(PacketHeaders.flow(of: esp) == flow(.other(50), "fd00::1", nil, "fd00::2", nil))
    }

    @Test func ipv6ChainCutOffByTheCopyRangeNamesTheHeaderItStoppedAt() {
        // 40 + 8 + 88 bytes of routing header: the routing header's end lies past 128 bytes.
        let chain = B.extensionHeader(next: 43) + B.extensionHeader(next: 6, units: 10) + B.tcpSYN(1, 6443)
        let packet = Array(B.ipv6(next: 0, source: "fd00::1", destination: "fd00::2", payload: chain).prefix(128))
        #expect(PacketHeaders.flow(of: packet) == flow(.tcp, "fd00::1", nil, "fd00::2", nil))
        // Cut inside the hop-by-hop header itself: its next-header byte is missing.
        let short = Array(B.ipv6(next: 0, source: "fd00::1", destination: "fd00::2", payload: chain).prefix(40))
        #expect(PacketHeaders.flow(of: short) == flow(.other(0), "fd00::1", nil, "fd00::2", nil))
    }

    @Test func ipv6EndlessExtensionChainIsBounded() {
        var chain: [UInt8] = []
        for _ in 0..<40 { chain += B.extensionHeader(next: 60) }
        let packet = B.ipv6(next: 60, source: "fd00::1", destination: "fd00::2", payload: chain + B.udp(1, 2))
        let parsed = PacketHeaders.flow(of: packet)
        #expect(parsed?.destination == IPAddress("fd00::2"))
        #expect(parsed?.sourcePort == nil)
    }

    // MARK: Truncated and malformed

    @Test func tooShortForAddressesIsNil() {
        #expect(PacketHeaders.flow(of: [UInt8]()) == nil)
        let v4 = B.ipv4(protocol: 6, source: "198.18.0.1", destination: "198.18.0.2", payload: B.tcpSYN(1, 2))
        #expect(PacketHeaders.flow(of: v4.prefix(19)) == nil)
        let v6 = B.ipv6(next: 6, source: "fd00::1", destination: "fd00::2", payload: B.tcpSYN(1, 2))
        #expect(PacketHeaders.flow(of: v6.prefix(39)) == nil)
    }

    @Test func cutTransportHeaderGivesAddressesWithoutPorts() {
        let v4 = B.ipv4(protocol: 6, source: "198.18.0.1", destination: "198.18.0.2", payload: B.tcpSYN(1, 2))
        #expect(PacketHeaders.flow(of: v4.prefix(23)) == flow(.tcp, "198.18.0.1", nil, "198.18.0.2", nil))
        #expect(PacketHeaders.flow(of: v4.prefix(24)) == flow(.tcp, "198.18.0.1", 1, "198.18.0.2", 2))
        let v6 = B.ipv6(next: 17, source: "fd00::1", destination: "fd00::2", payload: B.udp(3, 4))
        #expect(PacketHeaders.flow(of: v6.prefix(42)) == flow(.udp, "fd00::1", nil, "fd00::2", nil))
    }

    @Test func notIPIsNil() {
        #expect(PacketHeaders.flow(of: [0x55] + [UInt8](repeating: 0, count: 60)) == nil)
        #expect(PacketHeaders.flow(of: [UInt8](repeating: 0, count: 60)) == nil)
    }

    @Test func everyPrefixOfEveryPacketIsSafe() {
        let packets = [
            B.ipv4(protocol: 6, source: "198.18.0.1", destination: "198.18.0.2", payload: B.tcpSYN(1, 2), optionWords: 2),
            B.ipv6(next: 0, source: "fd00::1", destination: "fd00::2",
                   payload: B.extensionHeader(next: 44) + B.fragmentHeader(next: 51, offset: 0, more: true)
                       + B.authenticationHeader(next: 17) + B.udp(1, 2)),
        ]
        for packet in packets {
            for length in 0...packet.count {
                let parsed = PacketHeaders.flow(of: packet.prefix(length))
                #expect((parsed == nil) == (length < (packet[0] >> 4 == 4 ? 20 : 40)), "length \(length)")
            }
        }
    }

    @Test func randomBytesNeverCrash() {
        var generator = SplitMix64(seed: 0x5043_4C47)
        var parsed = 0
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 160)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if !bytes.isEmpty { bytes[0] = generator.next() % 2 == 0 ? 0x45 : 0x60 | (bytes[0] & 0x0F) }
            if PacketHeaders.flow(of: bytes) != nil { parsed += 1 }
        }
        #expect(parsed > 0)
    }
}

/// A small deterministic generator, so a failure can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
