import Foundation
import Store

/// A scratch local store holding rows copied out of the central store, in a private temporary
/// directory (mode 0700) that ``remove()`` deletes. Readers use ``reader`` as they would a
/// gateway's own recording.
public final class CentralScratch: Sendable {
    public let host: String
    public let database: StoreDatabase
    public let reader: StoreReader
    let directory: String

    init(host: String, label: String) throws(CentralStoreError) {
        var template = Array((NSTemporaryDirectory() + "/portcullis-central-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw .server(store: label, doing: "copying host \(host)'s rows", sqlState: "-",
                          message: "cannot make a scratch directory: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        self.host = host
        do {
            database = try StoreDatabase.open(path: directory + "/copy.sqlite")
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw .server(store: label, doing: "copying host \(host)'s rows", sqlState: "-", message: error.description)
        }
        reader = StoreReader(database: database.pool, path: "\(label) host \(host)")
    }

    public func remove() {
        try? database.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
