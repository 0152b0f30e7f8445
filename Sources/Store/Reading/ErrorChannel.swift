import Foundation
import GRDB
import Kube

/// Reads the Status an exec or attach sent on its error channel.
public enum ErrorChannel {
    /// The Status, or a Failure carrying the text when the channel held something else (old
    /// protocol versions send plain text).
    public static func status(_ data: [UInt8]) -> Status? {
        guard !data.isEmpty else { return nil }
        if let json = try? JSONParser.parse(data), let status = try? Status(json: json) { return status }
        return Status(message: String(decoding: data, as: UTF8.self), code: 0)
    }
}
