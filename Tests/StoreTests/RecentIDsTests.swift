import Testing

@testable import Store

/// ``RecentIDs``: remembers the last `capacity` ids, forgetting the oldest first.
@Suite struct RecentIDsTests {
    @Test func remembersTheLatestAndForgetsTheOldest() {
        var recent = RecentIDs(capacity: 3)
        let first = recent.insert(1)
        let second = recent.insert(1)
        #expect(first)
        #expect(!second, "a second insert says it was there")
        for id in UInt64(2)...5 { recent.insert(id) }
        #expect(!recent.contains(1) && !recent.contains(2))
        #expect(recent.contains(3) && recent.contains(4) && recent.contains(5))
        recent.insert(6)
        #expect(!recent.contains(3) && recent.contains(6))
    }
}
