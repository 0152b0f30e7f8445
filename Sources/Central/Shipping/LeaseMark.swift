import Synchronization

/// Set once a piece of work holds a PostgreSQL connection: until then, a wait is for the server.
final class LeaseMark: Sendable {
    private let flag = Atomic<Bool>(false)

    func set() { flag.store(true, ordering: .releasing) }

    var isSet: Bool { flag.load(ordering: .acquiring) }
}
