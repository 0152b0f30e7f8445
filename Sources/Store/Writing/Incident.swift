import Foundation
import Kube
import NIOCore

/// An episode during which records were refused: the store was unavailable or its queue full.
/// Written as a `store_outages` row once the store writes again and the backlog is in.
struct Incident: Sendable {
    var began: KubeTime
    var cause: String
    var refused = 0
    var recovered = 0
    var lost = 0
    var lastRefusal: Date

    init(began: KubeTime, cause: String) {
        self.began = began
        self.cause = cause
        self.lastRefusal = Date()
    }

    mutating func absorb(_ later: Incident) {
        refused += later.refused
        recovered += later.recovered
        lost += later.lost
        lastRefusal = max(lastRefusal, later.lastRefusal)
    }

    func row(at time: KubeTime) -> StoreRow {
        StoreRow(.storeOutages, [
            "at": .integer(time.microseconds), "began_at": .integer(began.microseconds), "cause": .text(cause),
            "refused": .integer(Int64(refused)), "recovered": .integer(Int64(recovered)), "lost": .integer(Int64(lost)),
        ])
    }
}
