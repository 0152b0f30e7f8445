/// One line of `portcullis sessions`: a run, or what belongs to no run (a connection without an
/// authenticated request, a refused connection, a bypass attempt).
public enum SessionEntry: Sendable, Hashable {
    case run(RunSummary)
    case session(SessionSummary)

    /// When it started, for ordering.
    public var time: Int64 {
        switch self {
        case .run(let r): r.run.startedAt
        case .session(let s): s.time
        }
    }

    /// Commit order, to break ties in time.
    public var seq: Int64 {
        switch self {
        case .run(let r): r.run.seq
        case .session(let s): s.seq
        }
    }

    public var host: String? {
        get {
            switch self {
            case .run(let r): r.host
            case .session(let s): s.host
            }
        }
        set {
            switch self {
            case .run(var r):
                r.host = newValue
                self = .run(r)
            case .session(var s):
                s.host = newValue
                self = .session(s)
            }
        }
    }
}
