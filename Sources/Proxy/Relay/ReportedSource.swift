import Intercept
import Kube
import NIOHTTP1

/// The agent's side of a request as the gateway that forwards it to a relay reports it: one JSON
/// object in the `Portcullis-Agent-Source` header (the gateway's connection and request, the
/// agent's peer address and original destination, and the caller it attributed: uid, gid, process,
/// cgroup, container, or source address and interface for a bridged caller).
///
/// The relay cannot check any of it: a compromised runner can report anything. It records the
/// value as it arrived, in its own column, marked as reported (docs/relay.md); it never decides
/// anything by it. The gateway removes any such header an agent sent before adding its own.
public enum ReportedSource {
    public static let header = "Portcullis-Agent-Source"
    /// The largest value the relay takes; the gateway cuts long strings to stay within it.
    public static let maximumBytes = 16 * 1024
    /// Each string is cut to this many characters, the command line to ``maximumCommandLine`` in all.
    public static let maximumString = 1024
    public static let maximumCommandLine = 4096

    /// The header value for `request` on `connection`: printable ASCII only (anything else is
    /// `\u`-escaped), so it is a valid header value whatever the process's command line holds.
    static func encode(connection: ConnectionContext, request: RequestID) -> String {
        Template(connection: connection).value(request: request)
    }

    /// The same from its parts (the fuzz target's entry point).
    public static func encode(caller: Caller, connection: ConnectionID, request: RequestID, peer: SocketEndpoint,
                              destination: SocketEndpoint) -> String {
        Template(caller: caller, connection: connection, peer: peer, destination: destination).value(request: request)
    }

    /// Everything of a connection's value but the request, encoded once per connection (the
    /// caller is fixed when the connection is accepted), so a request costs one concatenation.
    struct Template {
        /// The JSON object without its closing brace; it has at least one member.
        let prefix: String

        init(connection: ConnectionContext) {
            self.init(caller: connection.caller, connection: connection.id, peer: connection.peer, destination: connection.destination)
        }

        init(caller: Caller, connection: ConnectionID, peer: SocketEndpoint, destination: SocketEndpoint) {
            var w = GoJSONObjectWriter()
            w.string("connection", connection.description)
            w.string("peer", peer.description)
            w.string("destination", destination.description)
            if let uid = caller.uid { w.int("uid", Int64(uid)) }
            if let gid = caller.gid { w.int("gid", Int64(gid)) }
            if let process = caller.process {
                w.int("pid", Int64(process.pid))
                w.stringOmitEmpty("executable", process.executable.map(ReportedSource.cut))
                var words: [String] = [], total = 0
                for word in process.commandLine {
                    let kept = ReportedSource.cut(word)
                    guard total + kept.count <= maximumCommandLine else { break }
                    words.append(kept)
                    total += kept.count
                }
                if !process.commandLine.isEmpty { w.stringArray("commandLine", words) }
                w.stringOmitEmpty("cgroup", process.cgroup.map(ReportedSource.cut))
                w.stringOmitEmpty("containerID", process.containerID.map(ReportedSource.cut))
            }
            w.stringOmitEmpty("address", caller.sourceAddress?.description)
            w.stringOmitEmpty("interface", caller.interface.map(ReportedSource.cut))
            prefix = String(ReportedSource.asciiOnly(w.finish()).dropLast())
        }

        func value(request: RequestID) -> String {
            prefix + ",\"request\":\"\(request)\"}"
        }
    }

    /// Why a relay refuses a request's reported source.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// What the relay records for a request's headers: the value as sent when it is one JSON
    /// object within ``maximumBytes``, nil when there is none; a ``Problem`` otherwise.
    static func decode(_ headers: HTTPHeaders) -> Result<String?, Problem> {
        // Not `canonicalForm`: that splits a value at its commas, and JSON has them.
        decode(values: headers[header])
    }

    /// The same from the header's values as they arrived (the fuzz target's entry point).
    public static func decode(values: [String]) -> Result<String?, Problem> {
        guard let first = values.first else { return .success(nil) }
        guard values.count == 1 else { return .failure(Problem(description: "\(header) is given \(values.count) times")) }
        let text = String(first)
        guard text.utf8.count <= maximumBytes else {
            return .failure(Problem(description: "\(header) is over \(maximumBytes) bytes"))
        }
        guard case .object = try? JSONParser.parse(text) else {
            return .failure(Problem(description: "\(header) is not a JSON object"))
        }
        return .success(text)
    }

    static func cut(_ text: String) -> String {
        text.count <= maximumString ? text : String(text.prefix(maximumString))
    }

    /// JSON text with every character outside printable ASCII written as `\uXXXX` (UTF-16 code
    /// units, so a character beyond the BMP becomes a surrogate pair). Valid JSON stays valid:
    /// outside strings, JSON text is ASCII already, and control characters are escaped by GoJSON.
    static func asciiOnly(_ bytes: [UInt8]) -> String {
        guard bytes.contains(where: { $0 >= 0x7F }) else { return String(decoding: bytes, as: UTF8.self) }
        var out = ""
        for unit in String(decoding: bytes, as: UTF8.self).utf16 {
            if unit >= 0x20, unit < 0x7F {
                out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            } else {
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return out
    }
}
