/// Identifies one registered cleanup action in a ``CleanupRegistry``.
public struct CleanupToken: Sendable, Hashable {
    let id: Int
}
