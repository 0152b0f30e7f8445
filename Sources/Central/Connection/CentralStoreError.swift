import PostgresNIO

/// Why the central store could not be used. Every case names the store (never a password), and
/// a server's error carries its SQLSTATE and message, so an operator sees what PostgreSQL said.
public enum CentralStoreError: Error, Sendable, CustomStringConvertible {
    /// A credential or CA file is missing, unreadable, or readable by others.
    case credential(path: String, message: String)
    /// The client's TLS settings could not be built (a bad certificate, key or CA file).
    case tls(message: String)
    /// The server cannot be reached, refused the login, or the connection broke.
    case unreachable(store: String, reason: String)
    /// The server refused a statement.
    case server(store: String, doing: String, sqlState: String, message: String)
    /// The role may not do this (SQLSTATE 42501, or row-level security).
    case permissionDenied(store: String, doing: String, message: String)
    /// `portcullis central migrate` has not run, or a newer Portcullis migrated the store.
    case schema(store: String, message: String)
    /// The central store holds rows for this host that differ from the local record.
    case conflict(store: String, host: String, message: String)
    /// A shipment or query took longer than `central.queryTimeout`.
    case timedOut(store: String, doing: String, after: Duration)
    /// The shipper has stopped.
    case closed(store: String)

    public var description: String {
        switch self {
        case .credential(let path, let message): "central store credential \(path): \(message)"
        case .tls(let message): "central store TLS settings: \(message)"
        case .unreachable(let store, let reason): "the central store \(store) cannot be reached: \(reason)"
        case .server(let store, let doing, let state, let message): "the central store \(store) refused \(doing): \(message) (SQLSTATE \(state))"
        case .permissionDenied(let store, let doing, let message): "the central store \(store) does not allow \(doing): \(message)"
        case .schema(let store, let message): "the central store \(store) \(message)"
        case .conflict(let store, let host, let message): "the central store \(store) holds a different record for host \(host): \(message)"
        case .timedOut(let store, let doing, let after): "the central store \(store) did not finish \(doing) within \(after)"
        case .closed(let store): "shipping to the central store \(store) has stopped"
        }
    }

    /// A PostgresNIO or connection error in the terms above. PSQLError hides the server's message
    /// from its own description (it may hold data); ours carry the message and SQLSTATE only.
    public static func from(_ error: any Error, store: String, doing: String) -> CentralStoreError {
        if let error = error as? CentralStoreError { return error }
        if let transaction = error as? PostgresTransactionError,
           let cause = transaction.closureError ?? transaction.beginError ?? transaction.commitError ?? transaction.rollbackError {
            return from(cause, store: store, doing: doing)
        }
        guard let error = error as? PSQLError else { return .unreachable(store: store, reason: "\(error)") }
        if let info = error.serverInfo {
            let state = info[.sqlState] ?? "?"
            let message = info[.message] ?? "no message"
            let detail = info[.detail].map { " (\($0))" } ?? ""
            if state == "42501" { return .permissionDenied(store: store, doing: doing, message: message + detail) }
            if state.hasPrefix("28") || state.hasPrefix("08") || state.hasPrefix("57P") || state == "53300" {
                return .unreachable(store: store, reason: message + detail + " (SQLSTATE \(state))")
            }
            return .server(store: store, doing: doing, sqlState: state, message: message + detail)
        }
        var reason = "\(error.code)"
        if let underlying = error.underlying { reason += ": \(underlying)" }
        return .unreachable(store: store, reason: reason)
    }

    /// Whether a retry may succeed later (the connection, not the statement, failed).
    public var isTransient: Bool {
        switch self {
        case .unreachable, .timedOut: true
        default: false
        }
    }
}
