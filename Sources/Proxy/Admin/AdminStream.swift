/// One open stream of the admin socket.
public protocol AdminStream: Sendable {
    /// The lines that are new since the last call, without newlines; it waits a moment (without
    /// blocking a thread) and returns none when there are none yet.
    func next() async throws -> [String]
}
