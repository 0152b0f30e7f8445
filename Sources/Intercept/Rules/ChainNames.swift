/// The names Portcullis owns in iptables and ipset: everything starts with `PORTCULLIS_` or
/// `portcullis-`, so leftovers are easy to find and nothing else is ever touched.
public enum ChainNames {
    public static let prefix = "PORTCULLIS_"
    public static let natOutput = "PORTCULLIS_OUTPUT"
    public static let natPrerouting = "PORTCULLIS_PREROUTING"
    public static let manglePostrouting = "PORTCULLIS_POSTROUTING"
    public static let filterInput = "PORTCULLIS_INPUT"

    /// Where each of our chains is jumped to from: (table, built-in chain, our chain).
    public static let jumps: [(table: String, builtin: String, chain: String)] = [
        ("nat", "OUTPUT", natOutput),
        ("nat", "PREROUTING", natPrerouting),
        ("mangle", "POSTROUTING", manglePostrouting),
        ("filter", "INPUT", filterInput),
    ]

    /// The tables in the order they are applied.
    public static let tables = ["nat", "mangle", "filter"]

    public static let jumpComment = "portcullis: jump to the gateway rules"
    public static let guardrailComment = "portcullis: guardrail while the rules are reconciled"

    /// `hash:ip,port` set of the API endpoints.
    public static func endpointSet(_ family: AddressFamily) -> String { "portcullis-endpoints-\(family.rawValue)" }
    /// `hash:ip` set of the API addresses.
    public static func addressSet(_ family: AddressFamily) -> String { "portcullis-addresses-\(family.rawValue)" }
    public static let ipsetPrefix = "portcullis-"
}
