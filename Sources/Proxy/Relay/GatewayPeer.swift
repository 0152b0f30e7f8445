/// A gateway connected to a relay, as its client certificate names it. The name is the
/// certificate's subject common name, which `portcullis relay enroll NAME` set; the serial is what
/// enrolment and revocation go by.
public struct GatewayPeer: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    /// The certificate's serial number, lowercase hex.
    public var serial: String

    public init(name: String, serial: String) {
        self.name = name
        self.serial = serial
    }

    public var description: String { "gateway \(name) (certificate \(serial))" }
}
