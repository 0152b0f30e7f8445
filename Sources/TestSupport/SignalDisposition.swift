import Foundation

/// Reads what `signal(2)` returned as the previous disposition.
enum SignalDisposition {
    /// True for `SIG_DFL` (a null handler).
    static func isDefault(_ handler: __sighandler_t?) -> Bool {
        unsafeBitCast(handler, to: Int.self) == 0
    }

    /// True for `SIG_IGN` (the handler value 1).
    static func isIgnored(_ handler: __sighandler_t?) -> Bool {
        unsafeBitCast(handler, to: Int.self) == 1
    }
}
