import Kube

/// `limit` and `continue` for lists. The continue token carries the offset and the
/// resourceVersion of the first page, so later pages report the same one.
struct Pagination {
    var range: Range<Int>
    var resourceVersion: Int64
    var continueToken: String?

    init(query: QueryParameters, total: Int, resourceVersion: Int64) throws(Status) {
        var start = 0
        var rv = resourceVersion
        if let token = query["continue"], !token.isEmpty {
            let parts = token.split(separator: "-")
            guard parts.count == 2, let offset = Int(parts[0]), let tokenRV = Int64(parts[1]), offset >= 0 else {
                throw Status.badRequest("continue key is not valid: \(token)")
            }
            start = min(offset, total)
            rv = tokenRV
        }
        var end = total
        if let raw = query["limit"], let limit = Int(raw), limit > 0 { end = min(total, start + limit) }
        range = start..<end
        self.resourceVersion = rv
        continueToken = end < total ? "\(end)-\(rv)" : nil
    }
}
