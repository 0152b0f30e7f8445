import Foundation

/// How people name a record on the command line: `run7` an agent's run, `c12` a connection, `r34`
/// a request, `g56` a guard (bypass) event by its `seq`; a refused connection has a negative id
/// (`c-3`). A bare number names a connection.
public enum RecordReference: Sendable, Hashable, CustomStringConvertible {
    case run(Int64)
    case connection(Int64)
    case request(Int64)
    case guardEvent(Int64)

    /// Parses `run7`, `c12`, `C12`, `c-3`, `12`, `r34`, `g56`; `nil` for anything else.
    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased().hasPrefix("run") {
            let digits = trimmed.dropFirst(3)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int64(digits) else { return nil }
            self = .run(number)
            return
        }
        guard let first = trimmed.first else { return nil }
        let signed = first.isNumber ? Substring(trimmed) : trimmed.dropFirst()
        // Refused connections have negative ids (`c-3`): they never reached the proxy's numbering.
        let digits = signed.hasPrefix("-") && first.lowercased() == "c" ? signed.dropFirst() : signed
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let number = Int64(signed) else {
            return nil
        }
        switch first.lowercased() {
        case "c": self = .connection(number)
        case "r": self = .request(number)
        case "g": self = .guardEvent(number)
        default:
            guard first.isNumber else { return nil }
            self = .connection(number)
        }
    }

    public var description: String {
        switch self {
        case .run(let id): return "run\(id)"
        case .connection(let id): return "c\(id)"
        case .request(let id): return "r\(id)"
        case .guardEvent(let seq): return "g\(seq)"
        }
    }

    /// What people call the record kind in messages.
    public var kindName: String {
        switch self {
        case .run: return "run"
        case .connection: return "session"
        case .request: return "request"
        case .guardEvent: return "guard event"
        }
    }
}
