/// The most recent `capacity` ids, for "seen lately?" checks: inserting past the capacity forgets
/// the oldest. O(1) per insert (a ring, not an array shifted on every removal).
struct RecentIDs {
    private var members: Set<UInt64> = []
    private var ring: [UInt64] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func contains(_ id: UInt64) -> Bool { members.contains(id) }

    /// Adds `id`; returns false when it was already there.
    @discardableResult
    mutating func insert(_ id: UInt64) -> Bool {
        guard members.insert(id).inserted else { return false }
        if ring.count < capacity {
            ring.append(id)
        } else {
            members.remove(ring[next])
            ring[next] = id
            next = (next + 1) % capacity
        }
        return true
    }
}
