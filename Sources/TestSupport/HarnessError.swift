/// A failure of the test harness itself, with a message meant to be read in a test report.
///
/// Messages say what was attempted, what happened, and (for processes) the output captured so far.
public struct HarnessError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
